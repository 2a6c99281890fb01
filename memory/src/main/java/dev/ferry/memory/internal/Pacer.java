package dev.ferry.memory.internal;

/**
 * Paces one writer to a rate in page-writes per second and applies auto-converge throttling, against whatever
 * clock it is given, so the logic is tested with a fake clock and no timing assertions.
 * <p>
 * Rate: each write is due {@code 1e9 / rate} ns after the previous one. A writer that falls behind (descheduled,
 * throttled) catches up at most {@link #MAX_DEBT_NS} of writes at once, then forgets the rest, so a stall is not
 * followed by a burst.
 * <p>
 * Throttle: time is cut in slices of {@link #THROTTLE_SLICE_NS}; at {@code p} percent the writer works the first
 * {@code 100 - p} percent of each slice and sleeps the rest.
 * <p>
 * Not thread-safe: one per writer thread; the throttle percentage is volatile so a controller may change it.
 */
public final class Pacer {
    /** The throttle slice: 10 ms. */
    public static final long THROTTLE_SLICE_NS = 10_000_000L;
    /** The most a late writer catches up at once: 10 ms worth of writes. */
    public static final long MAX_DEBT_NS = 10_000_000L;

    private final double intervalNs;
    private final long startNs;
    private double nextDueNs;
    private volatile int throttlePercent;

    /** A pacer for {@code pagesPerSecond} (0 = idle) from {@code startNs}. */
    public Pacer(final double pagesPerSecond, final long startNs) {
        if (pagesPerSecond < 0 || Double.isNaN(pagesPerSecond)) {
            throw new IllegalArgumentException("rate " + pagesPerSecond + " pages/s must be >= 0");
        }
        this.intervalNs = pagesPerSecond == 0 ? Double.POSITIVE_INFINITY : 1e9 / pagesPerSecond;
        this.startNs = startNs;
        this.nextDueNs = startNs;
    }

    /** Sets the share of each slice spent asleep, 0..99. */
    public void throttlePercent(final int percent) {
        if (percent < 0 || percent > 99) {
            throw new IllegalArgumentException("throttle " + percent + "% must be 0..99");
        }
        throttlePercent = percent;
    }

    public int throttlePercent() {
        return throttlePercent;
    }

    /** How long to sleep now for the throttle: 0 inside the working part of a slice. */
    public long throttleSleepNs(final long nowNs) {
        final int percent = throttlePercent;
        if (percent == 0) {
            return 0;
        }
        final long intoSlice = Math.floorMod(nowNs - startNs, THROTTLE_SLICE_NS);
        final long activeNs = THROTTLE_SLICE_NS * (100 - percent) / 100;
        return intoSlice >= activeNs ? THROTTLE_SLICE_NS - intoSlice : 0;
    }

    /**
     * After a throttle sleep: the writes that fell due while asleep are dropped, so a throttled writer loses the
     * time it slept (as a throttled vCPU does) instead of catching up at the start of the next working part.
     */
    public void forgive(final long nowNs) {
        if (nextDueNs < nowNs) {
            nextDueNs = nowNs;
        }
    }

    /** Takes up to {@code max} writes that are due at {@code nowNs}; returns how many to do now. */
    public int acquire(final long nowNs, final int max) {
        if (intervalNs == Double.POSITIVE_INFINITY) {
            return 0;
        }
        if (nowNs - nextDueNs > MAX_DEBT_NS) {
            nextDueNs = nowNs - MAX_DEBT_NS;
        }
        int count = 0;
        while (count < max && nextDueNs <= nowNs) {
            nextDueNs += intervalNs;
            count++;
        }
        return count;
    }

    /** Nanoseconds from {@code nowNs} until the next write is due (0 if one is due; Long.MAX_VALUE when idle). */
    public long nanosUntilNext(final long nowNs) {
        if (intervalNs == Double.POSITIVE_INFINITY) {
            return Long.MAX_VALUE;
        }
        return Math.max(0, (long)Math.ceil(nextDueNs - nowNs));
    }
}
