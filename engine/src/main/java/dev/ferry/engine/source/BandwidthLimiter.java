package dev.ferry.engine.source;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * The bandwidth cap across all data channels together ({@code --max-bandwidth}): before writing a packet, its
 * sender reserves the packet's bytes on one shared timeline and waits until its turn. The timeline never lends
 * credit for idle time, so across any span the channels write at most the cap plus one packet each. The cap may
 * change while the migration runs; 0 is unlimited, and {@link #uncap} lifts it for the paused final round.
 * Allocation-free; any number of senders.
 */
final class BandwidthLimiter {
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
        bytesPerSecond = cap;
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
     * Reserves {@code bytes} and waits for their turn; returns early when the cap is lifted or {@code running}
     * turns false.
     */
    void acquire(final long bytes, final BooleanSupplier running) {
        if (bytesPerSecond == 0 || uncapped) {
            return; // the common case: no clock read on the packet path
        }
        final long startNs = System.nanoTime();
        final long waitNs = reserve(bytes, startNs);
        if (waitNs <= 0) {
            return;
        }
        final long deadlineNs = startNs + waitNs;
        long leftNs;
        while ((leftNs = deadlineNs - System.nanoTime()) > 0 && !uncapped && running.getAsBoolean()) {
            LockSupport.parkNanos(Math.min(leftNs, MAX_PARK_NS));
        }
    }
}
