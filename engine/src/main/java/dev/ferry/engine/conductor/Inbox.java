package dev.ferry.engine.conductor;

import dev.ferry.engine.channel.SyncBarrier;
import org.agrona.concurrent.ManyToOneConcurrentLinkedQueue;

/**
 * A conductor's inbox: any thread {@link #post posts}, only the conductor {@link #poll polls}. An urgent post (a
 * failure, a cancel) also terminates the round barrier, so that a conductor waiting there reads it at once, and
 * raises {@link #needsAttention}, which long work (a digest, a receiver between packets) checks to stop early.
 *
 * @param <E> the side's events
 */
public final class Inbox<E> {
    private final ManyToOneConcurrentLinkedQueue<E> queue = new ManyToOneConcurrentLinkedQueue<>();
    private volatile SyncBarrier barrier;
    private volatile boolean attention;

    /** The barrier urgent posts terminate; one posted before it was set terminates it here. */
    public void barrier(final SyncBarrier barrier) {
        this.barrier = barrier;
        if (attention) {
            barrier.terminate();
        }
    }

    /** Posts {@code event} from any thread; {@code urgent} ends the barrier's waits and asks long work to stop. */
    public void post(final E event, final boolean urgent) {
        queue.offer(event);
        if (urgent) {
            attention = true;
            final SyncBarrier current = barrier;
            if (null != current) {
                current.terminate();
            }
        }
    }

    /** Something urgent was posted. */
    public boolean needsAttention() {
        return attention;
    }

    /** The next event, or null when none waits (the conductor only). */
    public E poll() {
        return queue.poll();
    }
}
