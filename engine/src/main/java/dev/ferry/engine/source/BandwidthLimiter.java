package dev.ferry.engine.source;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * The bandwidth cap across all data channels together ({@code --max-bandwidth}): before writing a packet, its
 * sender reserves the packet's bytes on one shared timeline, the link's, and waits until the link is at most
 * {@link #QUEUE_NS} behind its slot, as a sender on a real link runs ahead of the wire by its socket buffer. The
 * timeline never lends credit for idle time, so across any span the channels write at most the cap, plus
 * {@value #QUEUE_NS} ns of it, plus one packet each. The queue is what keeps the link busy while every sender is
 * busy elsewhere: without it (the first version) a sender could not write ahead of its slot, so whenever all senders
 * were compressing at once the link stood idle and that time was lost (a 200 MB/s cap moved compressed packets at
 * 142 MB/s, docs/benchmarks.md). The cap may change while the migration runs; 0 is unlimited, and {@link #uncap}
 * lifts it for the paused final round. Allocation-free; any number of senders.
 */
final class BandwidthLimiter {
    /** How far behind a sender's slot the link may be when it writes: 20 ms, a 4 MB socket buffer at 200 MB/s. */
    static final long QUEUE_NS = 20_000_000L;
    private static final long MAX_PARK_NS = 1_000_000L;

    private final AtomicLong nextFreeNs = new AtomicLong(Long.MIN_VALUE);
    private volatile long bytesPerSecond;
    private volatile boolean uncapped;

    BandwidthLimiter(final long bytesPerSecond) {
        bytesPerSecond(bytesPerSecond);
    }

    /** The cap, bytes per second; 0 is unlimited. */
    void bytesPerSecond(final long cap) {
        if (cap < 0) {
            throw new IllegalArgumentException("bandwidth cap " + cap + " must be >= 0");
        }
        final long old = bytesPerSecond;
        bytesPerSecond = cap;
        if (cap == 0 || old != 0 && cap > old) {
            nextFreeNs.set(Long.MIN_VALUE); // raised or lifted: reservations at the old, slower rate hold nobody back
        }
        // The same cap again, or a lower one, keeps the timeline: what was booked still counts.
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
     * Reserves {@code bytes} on the timeline at {@code nowNs}; returns how long the caller must wait before
     * writing them (0: write now).
     */
    long reserve(final long bytes, final long nowNs) {
        final long cap = bytesPerSecond;
        if (cap == 0 || uncapped) {
            return 0;
        }
        final long costNs = (long)(bytes * 1e9 / cap);
        while (true) {
            final long free = nextFreeNs.get();
            final long start = free == Long.MIN_VALUE || free - nowNs < 0 ? nowNs : free;
            if (nextFreeNs.compareAndSet(free, start + costNs)) {
                return start - nowNs;
            }
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
     * when the cap is lifted or raised (an operator's live change takes effect at once, not after the packets
     * reserved at the old rate) or {@code running} turns false. A lowered cap lets the wait run its course.
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
        final long deadlineNs = startNs + waitNs;
        long leftNs;
        while ((leftNs = deadlineNs - System.nanoTime()) > 0 && !uncapped && !raisedFrom(cap) &&
            running.getAsBoolean()) {
            LockSupport.parkNanos(Math.min(leftNs, MAX_PARK_NS));
        }
    }

    /** The cap was lifted, or raised above {@code cap}, since a wait began at {@code cap}. */
    private boolean raisedFrom(final long cap) {
        final long now = bytesPerSecond;
        return now == 0 || now > cap;
    }
}
