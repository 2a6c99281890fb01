package dev.ferry.engine;

import dev.ferry.memory.GuestMemory;

/**
 * How a migration ended.
 *
 * @param status    completed, failed, cancelled or unknown.
 * @param verified  both sides' memory digests matched.
 * @param errorCode why it did not complete ({@link ErrorCode#NONE} if it did).
 * @param error     the reason in words, or null.
 * @param stats     the final statistics.
 * @param memory    destination only: the received guest memory, owned by the caller from now on (null otherwise).
 */
public record MigrationResult(
    MigrationStatus status, boolean verified, ErrorCode errorCode, String error, MigrationStats stats,
    GuestMemory memory) {

    public boolean isCompleted() {
        return status == MigrationStatus.COMPLETED;
    }
}
