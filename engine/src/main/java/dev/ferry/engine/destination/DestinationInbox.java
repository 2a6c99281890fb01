package dev.ferry.engine.destination;

import dev.ferry.engine.ErrorCode;
import dev.ferry.engine.FerryException;
import dev.ferry.engine.channel.MainChannelReader;
import dev.ferry.engine.channel.Message;
import dev.ferry.engine.channel.SyncBarrier;
import dev.ferry.engine.conductor.Inbox;
import dev.ferry.engine.conductor.Outcome;
import dev.ferry.engine.protocol.MessageFlyweight;
import dev.ferry.engine.protocol.ProtocolException;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.SystemNanoClock;

/**
 * The destination conductor's inbox and its failure bookkeeping, as the source's: any thread {@link #post posts}
 * (an urgent post terminates the barrier, so the conductor stops waiting at a FLUSH, and flags a running digest to
 * stop); the conductor polls, and records failures in its {@link Outcome}. A lost data channel, a timeout or
 * silence counts only after {@link Outcome#PEER_REASON_GRACE_MS}, unless the source's own reason (its CANCEL or
 * ERROR on the main channel) arrives first.
 */
final class DestinationInbox implements MainChannelReader.Handler {
    private final Inbox<DestinationEvent> queue = new Inbox<>();
    private final Outcome outcome;

    DestinationInbox() {
        this(SystemNanoClock.INSTANCE);
    }

    /** With {@code clock} for the grace: a test makes time jump, as it does for a stopped process. */
    DestinationInbox(final NanoClock clock) {
        this.outcome = new Outcome(clock);
    }

    /** The barrier urgent posts terminate, once SETUP made it. */
    void barrier(final SyncBarrier barrier) {
        queue.barrier(barrier);
    }

    void post(final DestinationEvent event, final boolean urgent) {
        queue.post(event, urgent);
    }

    boolean needsAttention() {
        return queue.needsAttention();
    }

    /** The failure bookkeeping, first cause wins (conductor only). */
    Outcome outcome() {
        return outcome;
    }

    @Override
    public boolean onMessage(final Message message) {
        final int type = message.type();
        final boolean failed = type == MessageFlyweight.ERROR || type == MessageFlyweight.CANCEL;
        post(new DestinationEvent.PeerMessage(message), failed);
        return failed || type == MessageFlyweight.VERIFY;
    }

    @Override
    public void onEndOfStream() {
        post(new DestinationEvent.MainLost(null), true);
    }

    @Override
    public void onError(final Exception cause) {
        post(new DestinationEvent.MainLost(cause), true);
    }

    /** The next event, or null if none is waiting (conductor only). */
    DestinationEvent poll() {
        return queue.poll();
    }

    void channelLost(final int channel, final String reason) {
        outcome.pend(new FerryException(ErrorCode.CHANNEL_FAILED, "data channel " + channel + " " + reason));
    }

    /** A failure found by a receiver or the liveness check: pending when the source may explain it, else final. */
    void recordLocal(final FerryException cause) {
        if (mayHavePeerReason(cause)) {
            outcome.pend(cause);
        } else {
            outcome.record(cause);
        }
    }

    /** Whether {@code cause} is decided locally and the source may be explaining it on the main channel. */
    static boolean mayHavePeerReason(final FerryException cause) {
        final ErrorCode code = cause.code();
        return code == ErrorCode.TIMEOUT || code == ErrorCode.BARRIER_TIMEOUT || code == ErrorCode.CONTACT_LOST;
    }

    /** Maps a main-channel loss to the failure it means. */
    static FerryException mainLost(final Exception cause) {
        if (null == cause) {
            return new FerryException(ErrorCode.CONTACT_LOST,
                "the source closed the main channel before the migration ended");
        }
        if (cause instanceof ProtocolException) {
            return Outcome.caught(cause);
        }
        return new FerryException(ErrorCode.CONTACT_LOST, "lost the main channel: " + cause.getMessage());
    }
}
