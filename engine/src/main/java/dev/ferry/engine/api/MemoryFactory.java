package dev.ferry.engine.api;

import dev.ferry.memory.BlockSpec;
import dev.ferry.memory.GuestMemory;
import dev.ferry.memory.MemoryFiles;

import java.nio.file.Path;
import java.util.List;

/**
 * How the destination creates the guest's memory from the source's SETUP, and discards it after a failure. The
 * memory is created afresh with its space reserved before SETUP-ACK, so a full tmpfs or disk is a clear setup
 * error, never a SIGBUS mid-migration.
 */
public interface MemoryFactory {
    /**
     * Creates memory for {@code specs}.
     *
     * @throws dev.ferry.memory.MemoryException naming what could not be created.
     */
    GuestMemory create(List<BlockSpec> specs, int pageSizeBytes);

    /** Throws away memory this factory created (the migration failed); {@code memory} is already closed. */
    void discard(GuestMemory memory);

    /** One file at {@code path}, created afresh (an existing file is truncated), blocks back to back. */
    static MemoryFactory file(final Path path) {
        return new MemoryFactory() {
            @Override
            public GuestMemory create(final List<BlockSpec> specs, final int pageSizeBytes) {
                return GuestMemory.createFile(path, specs, pageSizeBytes);
            }

            @Override
            public void discard(final GuestMemory memory) {
                MemoryFiles.deleteQuietly(path);
            }

            @Override
            public String toString() {
                return "file " + path;
            }
        };
    }

    /** Anonymous direct memory (bounded by -XX:MaxDirectMemorySize). */
    static MemoryFactory anonymous() {
        return new MemoryFactory() {
            @Override
            public GuestMemory create(final List<BlockSpec> specs, final int pageSizeBytes) {
                return GuestMemory.anonymous(specs, pageSizeBytes);
            }

            @Override
            public void discard(final GuestMemory memory) {
            }

            @Override
            public String toString() {
                return "anonymous memory";
            }
        };
    }
}
