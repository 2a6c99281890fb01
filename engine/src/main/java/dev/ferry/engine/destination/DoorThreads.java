package dev.ferry.engine.destination;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The {@link Admission}'s own threads (the acceptor, and each handshake thread until it is handed to the host), so
 * that closing the door can wait for them: they count refusals in the counters file, which must not be unmapped
 * under them. Once closed, no thread is added: {@link #add} says no, and the caller refuses the connection instead.
 */
final class DoorThreads {
    private final Set<Thread> threads = new HashSet<>();
    private boolean closed;

    /** Registers {@code thread} (before it starts); false, and nothing registered, once closed. */
    synchronized boolean add(final Thread thread) {
        if (closed) {
            return false;
        }
        threads.add(thread);
        return true;
    }

    /** The calling thread is no longer the door's (it now serves an admitted connection for the host). */
    synchronized void handOver() {
        threads.remove(Thread.currentThread());
    }

    /** No thread is added from now on. */
    synchronized void close() {
        closed = true;
    }

    synchronized boolean isClosed() {
        return closed;
    }

    /** Waits up to {@code waitMs} in all for every registered thread but the caller to end; true if they have. */
    boolean await(final long waitMs) {
        final List<Thread> running;
        synchronized (this) {
            running = new ArrayList<>(threads);
        }
        return joinAll(running, waitMs);
    }

    /**
     * Joins every thread of {@code threads} but the caller, up to {@code waitMs} in all; true if all ended. Also
     * used for the receivers ({@link ReceiverGroup#join}).
     */
    static boolean joinAll(final Iterable<Thread> threads, final long waitMs) {
        final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(waitMs);
        boolean stopped = true;
        for (final Thread thread : threads) {
            if (thread == Thread.currentThread()) {
                continue;
            }
            try {
                thread.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadlineNs - System.nanoTime())));
            } catch (final InterruptedException ex) {
                Thread.currentThread().interrupt();
                return false;
            }
            stopped &= !thread.isAlive();
        }
        return stopped;
    }
}
