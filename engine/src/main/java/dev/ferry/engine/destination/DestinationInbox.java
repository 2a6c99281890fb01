package dev.ferry.engine.destination;

import dev.ferry.engine.ErrorCode;
import dev.ferry.engine.FerryException;
import dev.ferry.engine.channel.Message;
import dev.ferry.engine.conductor.Inbox;
import dev.ferry.engine.conductor.Outcome;
import dev.ferry.engine.protocol.MessageFlyweight;
import dev.ferry.engine.protocol.ProtocolException;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.SystemNanoClock;

/**
 * The destination conductor's inbox ({@link Inbox}, as the source's): an urgent post terminates the barrier, so the
 * conductor stops waiting at a FLUSH, and flags a running digest to stop; the conductor polls, and records failures
 * in its {@link Outcome}. A lost data channel, a timeout or
 * silence counts only after {@link Outcome#PEER_REASON_GRACE_MS}, unless the source's own reason (its CANCEL or
 * ERROR on the main channel) arrives first.
 */
final class DestinationInbox extends Inbox<DestinationEvent> {

    DestinationInbox() {
        this(SystemNanoClock.INSTANCE);
    }

    /** With {@code clock} for the grace: a test makes time jump, as it does for a stopped process. */
    DestinationInbox(final NanoClock clock) {
        super(clock, DestinationEvent.PeerMessage::new, DestinationEvent.MainLost::new);
    }

    @Override
    protected boolean isFailure(final Message message) {
        return message.type() == MessageFlyweight.ERROR || message.type() == MessageFlyweight.CANCEL;
    }

    /** VERIFY: the source sends nothing after it. */
    @Override
    protected boolean isLast(final Message message) {
        return message.type() == MessageFlyweight.VERIFY;
    }

    void channelLost(final int channel, final String reason) {
        outcome().pend(new FerryException(ErrorCode.CHANNEL_FAILED, "data channel " + channel + " " + reason));
    }

    /** A failure found by a receiver or the liveness check: pending when the source may explain it, else final. */
    void recordLocal(final FerryException cause) {
        if (mayHavePeerReason(cause)) {
            outcome().pend(cause);
        } else {
            outcome().record(cause);
        }
    }

    /** Whether {@code cause} is decided locally and the source may be explaining it on the main channel. */
    static boolean mayHavePeerReason(final FerryException cause) {
        final ErrorCode code = cause.code();
        return code == ErrorCode.TIMEOUT || code == ErrorCode.BARRIER_TIMEOUT || code == ErrorCode.CONTACT_LOST;
    }

    /** Maps a main-channel loss to the failure it means. */
    static FerryException mainLostCause(final Exception cause) {
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
