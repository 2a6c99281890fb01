package dev.ferry.engine.source;

/**
 * When the source stops iterating and pauses the guest. Pure: it sees only figures, never a clock or a socket, so
 * it is tested with a model of bandwidth and dirty rate. Today's rule: switch over once at most
 * {@code switchoverDirtyBytes} are dirty after a round, or when the next round would be the last one allowed.
 */
final class SwitchoverPolicy {
    private final long switchoverDirtyBytes;
    private final int maxRounds;

    SwitchoverPolicy(final long switchoverDirtyBytes, final int maxRounds) {
        this.switchoverDirtyBytes = switchoverDirtyBytes;
        this.maxRounds = maxRounds;
    }

    /** Whether round 0 is already the final, paused round (stop-and-copy). */
    boolean stopAndCopy() {
        return maxRounds == 1;
    }

    /** After {@code round} ended with {@code dirtyBytes} dirty: pause now and send the rest as the final round? */
    boolean switchOver(final int round, final long dirtyBytes) {
        return dirtyBytes <= switchoverDirtyBytes || round + 2 >= maxRounds;
    }

    /**
     * What pausing now would cost: the dirty bytes at the bandwidth of the round just ended.
     *
     * @param dirtyBytes bytes dirty now.
     * @param roundBytes bytes the round just ended sent.
     * @param roundNs    how long that round took.
     */
    static long expectedDowntimeMs(final long dirtyBytes, final long roundBytes, final long roundNs) {
        final double bytesPerNs = Math.max(1e-9, (double)roundBytes / Math.max(1, roundNs));
        return (long)(dirtyBytes / bytesPerNs / 1_000_000);
    }
}
