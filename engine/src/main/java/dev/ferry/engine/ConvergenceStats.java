package dev.ferry.engine;

import java.util.List;

/**
 * What only the source knows about convergence: how and why it switched over, its limits, and every round.
 *
 * @param switchoverReason        {@code downtime-limit}, {@code switchover-dirty}, {@code max-rounds} or
 *                                {@code forced}; null until it switched over.
 * @param downtimeLimitMs         the downtime limit in force now.
 * @param maxBandwidthBytesPerSec the bandwidth cap in force, 0 when unlimited.
 * @param finalRoundUncapped      the paused final round ran without the cap.
 * @param workloadWritesPerSec    page writes per second the synthetic workload achieved before any throttle, or
 *                                null when there is none.
 * @param roundBytes              page bytes the current round started with (the progress line's 100%).
 * @param roundHistory            every round ended so far.
 */
public record ConvergenceStats(
    String switchoverReason,
    long downtimeLimitMs,
    long maxBandwidthBytesPerSec,
    boolean finalRoundUncapped,
    Long workloadWritesPerSec,
    long roundBytes,
    List<RoundRecord> roundHistory) {

    String historyJson() {
        if (roundHistory.isEmpty()) {
            return "[]";
        }
        final StringBuilder json = new StringBuilder("[\n");
        for (final RoundRecord round : roundHistory) {
            json.append("    ").append(round.toJson()).append(",\n");
        }
        json.setLength(json.length() - 2);
        return json.append("\n  ]").toString();
    }
}
