package dev.ferry.engine.conductor;

import dev.ferry.engine.channel.MainChannelReader;
import dev.ferry.engine.channel.Message;
import dev.ferry.engine.channel.SyncBarrier;
import org.agrona.concurrent.ManyToOneConcurrentLinkedQueue;
import org.agrona.concurrent.NanoClock;

import java.util.function.Function;

/**
 * A conductor's inbox, the skeleton of both sides' ({@code SourceInbox}, {@code DestinationInbox}): any thread
 * {@link #post posts}, only the conductor {@link #poll polls} and keeps the {@link #outcome}. An urgent post (a
 * failure, a cancel) also terminates the round barrier, so that a conductor waiting there reads it at once, and
 * raises {@link #needsAttention}, which long work (a digest, a receiver between packets) checks to stop early.
 * <p>
 * It is also the main-channel reader's handler: every message from the peer becomes the side's event
 * (made by the side's factory), a failure ({@link #isFailure}) urgently; the reader stops after a failure or the side's
 * last message ({@link #isLast}).
 *
 * @param <E> the side's events
 */
public abstract class Inbox<E> implements MainChannelReader.Handler {
    private final ManyToOneConcurrentLinkedQueue<E> queue = new ManyToOneConcurrentLinkedQueue<>();
    private final Outcome outcome;
    private final Function<Message, E> peerMessage;
    private final Function<Exception, E> mainLost;
    private volatile SyncBarrier barrier;
    private volatile boolean attention;

    /**
     * With {@code clock} for the outcome's grace (a test makes time jump, as it does for a stopped process), and the
     * side's events for a message from the peer and for the main channel's end (its cause null at a clean end).
     */
    protected Inbox(final NanoClock clock, final Function<Message, E> peerMessage, final Function<Exception, E> mainLost) {
        this.outcome = new Outcome(clock);
        this.peerMessage = peerMessage;
        this.mainLost = mainLost;
    }

    /** Whether {@code message} says the peer failed: posted urgently, and the reader stops. */
    protected abstract boolean isFailure(Message message);

    /** Whether {@code message} is the last the peer sends: the reader stops after it. */
    protected abstract boolean isLast(Message message);

    /** The failure bookkeeping, first cause wins (the conductor only). */
    public final Outcome outcome() {
        return outcome;
    }

    /** The barrier urgent posts terminate; one posted before it was set terminates it here. */
    public final void barrier(final SyncBarrier barrier) {
        this.barrier = barrier;
        if (attention) {
            barrier.terminate();
        }
    }

    /** Posts {@code event} from any thread; {@code urgent} ends the barrier's waits and asks long work to stop. */
    public final void post(final E event, final boolean urgent) {
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
    public final boolean needsAttention() {
        return attention;
    }

    /** The next event, or null when none waits (the conductor only). */
    public final E poll() {
        return queue.poll();
    }

    @Override
    public final boolean onMessage(final Message message) {
        final boolean failure = isFailure(message);
        post(peerMessage.apply(message), failure);
        return failure || isLast(message);
    }

    @Override
    public final void onEndOfStream() {
        post(mainLost.apply(null), true);
    }

    @Override
    public final void onError(final Exception cause) {
        post(mainLost.apply(cause), true);
    }
}
