package dev.ferry.engine.source;

/**
 * The channels' bandwidth over a sliding window: sampled with the bytes every data channel has written so far, it
 * keeps the intervals in which bytes moved (an interval in which nothing moved is the guest's quiet time or a
 * barrier, not the link's speed) and reports bytes over time across the most recent {@link #WINDOW_NS} of them.
 * Pure: the caller passes the clock's reading, so it is tested without time. One thread samples; any thread reads
 * {@link #bytesPerSecond()}.
 */
final class BandwidthMeter {
    /** How much busy time the estimate covers. */
    static final long WINDOW_NS = 1_000_000_000L;
    private static final int INTERVALS = 256;

    private final long[] intervalNs = new long[INTERVALS];
    private final long[] intervalBytes = new long[INTERVALS];
    private int next;
    private int count;
    private long lastNs;
    private long lastBytes = -1;
    private volatile long bytesPerSecond;

    /** Records that {@code totalBytes} had been written by {@code nowNs}. */
    void sample(final long nowNs, final long totalBytes) {
        if (lastBytes >= 0 && totalBytes > lastBytes && nowNs > lastNs) {
            intervalNs[next] = nowNs - lastNs;
            intervalBytes[next] = totalBytes - lastBytes;
            next = (next + 1) % INTERVALS;
            count = Math.min(INTERVALS, count + 1);
            publish();
        }
        lastNs = nowNs;
        lastBytes = totalBytes;
    }

    private void publish() {
        long ns = 0;
        long bytes = 0;
        for (int i = 1; i <= count && ns < WINDOW_NS; i++) {
            final int at = (next - i + INTERVALS) % INTERVALS;
            ns += intervalNs[at];
            bytes += intervalBytes[at];
        }
        bytesPerSecond = (long)(bytes * 1e9 / ns);
    }

    /** Bytes per second over the window; 0 until bytes have moved. */
    long bytesPerSecond() {
        return bytesPerSecond;
    }
}
