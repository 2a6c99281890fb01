package dev.ferry.engine.source;

import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * The bandwidth cap across all data channels together ({@code --max-bandwidth}): before writing a packet, its
 * sender books the packet's bytes on the link (a backlog that drains at the cap), and waits until the link is at
 * most {@link #QUEUE_NS} behind its turn, as a sender on a real link runs ahead of the wire by its socket buffer. The
 * backlog never lends credit for idle time, so across any span the channels write at most the cap, plus
 * {@value #QUEUE_NS} ns of it, plus one packet each. The queue is what keeps the link busy while every sender is
 * busy elsewhere: without it (the first version) a sender could not write ahead of its slot, so whenever all senders
 * were compressing at once the link stood idle and that time was lost (a 200 MB/s cap moved compressed packets at
 * 142 MB/s, docs/benchmarks.md). The cap may change while the migration runs; 0 is unlimited, and {@link #uncap}
 * lifts it for the paused final round. Allocation-free; any number of senders (a capped sender takes this object's
 * lock once a packet: a capped link is the slow part).
 */
final class BandwidthLimiter {
    /** How far behind a sender's slot the link may be when it writes: 20 ms, a 4 MB socket buffer at 200 MB/s. */
    static final long QUEUE_NS = 20_000_000L;
    private static final long MAX_PARK_NS = 1_000_000L;

    private volatile long bytesPerSecond;
    private volatile boolean uncapped;
    /** Bytes booked on the link and not yet drained from it, as of {@link #asOfNs}; guarded by this. */
    private long backlogBytes;
    private long asOfNs;
    private boolean started;

    BandwidthLimiter(final long bytesPerSecond) {
        bytesPerSecond(bytesPerSecond);
    }

    /** The cap, bytes per second; 0 is unlimited. */
    void bytesPerSecond(final long cap) {
        bytesPerSecond(cap, System.nanoTime());
    }

    /**
     * The cap from {@code nowNs} on. The link's backlog is kept in bytes: what was booked drains at the old rate up
     * to now and at the new one from now, so a raised cap shortens every wait at once, a lower or the same one keeps
     * what was booked, and a cap switched up and down (or re-applied, or shares moving as migrations come and go)
     * never lets more through than its highest value. Lifted (0): no backlog.
     */
    synchronized void bytesPerSecond(final long cap, final long nowNs) {
        if (cap < 0) {
            throw new IllegalArgumentException("bandwidth cap " + cap + " must be >= 0");
        }
        final long old = bytesPerSecond;
        if (old != 0) {
            drain(old, nowNs);
        }
        bytesPerSecond = cap;
        if (cap == 0) {
            backlogBytes = 0;
            started = false;
        }
    }

    long bytesPerSecond() {
        return bytesPerSecond;
    }

    /** Lifts the cap for good (the guest is paused: every millisecond now is downtime). */
    void uncap() {
        uncapped = true;
    }

    boolean uncapped() {
        return uncapped;
    }

    /**
     * Reserves {@code bytes} on the link at {@code nowNs}; returns how long the caller must wait before writing
     * them (0: write now): the time the link needs to drain what was booked before them.
     */
    synchronized long reserve(final long bytes, final long nowNs) {
        final long cap = bytesPerSecond;
        if (cap == 0 || uncapped) {
            return 0;
        }
        drain(cap, nowNs);
        final long waitNs = (long)(backlogBytes * 1e9 / cap);
        backlogBytes += bytes;
        return waitNs;
    }

    /** Takes from the backlog what the link drained at {@code cap} since the last look; no credit for idle time. */
    private void drain(final long cap, final long nowNs) {
        if (!started) {
            started = true;
            asOfNs = nowNs;
            return;
        }
        final long elapsedNs = nowNs - asOfNs;
        if (elapsedNs > 0) {
            backlogBytes = Math.max(0, backlogBytes - (long)(elapsedNs * (cap / 1e9)));
            asOfNs = nowNs;
        }
    }

    /**
     * Reserves {@code bytes} at {@code nowNs}; returns how long the caller must wait before writing them: until the
     * link is at most {@link #QUEUE_NS} behind their slot (0: write now).
     */
    long delay(final long bytes, final long nowNs) {
        return Math.max(0, reserve(bytes, nowNs) - QUEUE_NS);
    }

    /**
     * Reserves {@code bytes} and waits until the link is at most {@link #QUEUE_NS} behind their turn; returns early
     * when the cap is lifted or {@code running} turns false. A raised cap shortens the wait left in proportion (an
     * operator's live change takes effect at once, not after the packets reserved at the old rate); a lowered one
     * lets it run its course.
     */
    void acquire(final long bytes, final BooleanSupplier running) {
        final long cap = bytesPerSecond;
        if (cap == 0 || uncapped) {
            return; // the common case: no clock read on the packet path
        }
        final long startNs = System.nanoTime();
        final long waitNs = delay(bytes, startNs);
        if (waitNs <= 0) {
            return;
        }
        long deadlineNs = startNs + waitNs;
        long waitCap = cap;
        long leftNs;
        while ((leftNs = deadlineNs - System.nanoTime()) > 0 && !uncapped && running.getAsBoolean()) {
            final long now = bytesPerSecond;
            if (now == 0) {
                return;
            }
            if (now > waitCap) {
                deadlineNs = deadlineNs - leftNs + (long)(leftNs * ((double)waitCap / now));
                waitCap = now;
                continue;
            }
            LockSupport.parkNanos(Math.min(leftNs, MAX_PARK_NS));
        }
    }
}
