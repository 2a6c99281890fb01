package dev.ferry.engine.destination;

import dev.ferry.engine.channel.MainChannelReader;
import dev.ferry.engine.channel.Message;
import dev.ferry.engine.channel.SyncBarrier;
import dev.ferry.engine.error.ErrorCode;
import dev.ferry.engine.error.ErrorText;
import dev.ferry.engine.error.FerryException;
import dev.ferry.engine.protocol.MessageFlyweight;
import dev.ferry.engine.protocol.ProtocolException;
import org.agrona.concurrent.ManyToOneConcurrentLinkedQueue;

import java.util.concurrent.TimeUnit;

/**
 * The destination conductor's inbox. Any thread {@link #post posts}; an urgent post terminates the barrier (so the
 * conductor stops waiting at a FLUSH) and flags a running digest to stop. Failures are recorded here, first cause
 * wins; a lost data channel counts only after {@link #PEER_REASON_GRACE_MS}, unless the source's own reason (its
 * CANCEL or ERROR on the main channel) arrives first. Everything but the queue belongs to the conductor's thread.
 */
final class DestinationInbox implements MainChannelReader.Handler {
    static final long PEER_REASON_GRACE_MS = 500;

    private final ManyToOneConcurrentLinkedQueue<DestinationEvent> queue = new ManyToOneConcurrentLinkedQueue<>();
    private volatile SyncBarrier barrier;
    private volatile boolean attention;
    private FerryException failure;
    private FerryException pendingFailure;
    private long pendingDeadlineNs;
    private boolean failureFromPeer;

    /** The barrier urgent posts terminate, once SETUP made it. */
    void barrier(final SyncBarrier barrier) {
        this.barrier = barrier;
        if (attention) {
            barrier.terminate();
        }
    }

    void post(final DestinationEvent event, final boolean urgent) {
        queue.offer(event);
        if (urgent) {
            attention = true;
            final SyncBarrier current = barrier;
            if (null != current) {
                current.terminate();
            }
        }
    }

    boolean needsAttention() {
        return attention;
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

    /** A failure of the migration, first cause wins. */
    void record(final FerryException cause) {
        if (null == failure) {
            failure = cause;
        }
    }

    /** The source told us why it failed: its reason wins over a lost channel, and is not told back. */
    void recordFromPeer(final FerryException cause) {
        if (null == failure) {
            failureFromPeer = true;
            failure = cause;
        }
    }

    void channelLost(final int channel, final String reason) {
        pending(new FerryException(ErrorCode.CHANNEL_FAILED, "data channel " + channel + " " + reason));
    }

    /**
     * A failure this side decided by its own clock or its own socket (a lost channel, a timeout, silence): it
     * becomes the failure only after {@link #PEER_REASON_GRACE_MS}, unless the source's own reason arrives first.
     * A destination stopped (SIGSTOP) and continued finds its timers expired at once while the source's ERROR,
     * the real reason, waits in the main channel's socket buffer.
     */
    void pending(final FerryException cause) {
        if (null == pendingFailure) {
            pendingFailure = cause;
            pendingDeadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(PEER_REASON_GRACE_MS);
        }
    }

    /** A failure found by a receiver or the liveness check: pending when the source may explain it, else final. */
    void recordLocal(final FerryException cause) {
        if (mayHavePeerReason(cause)) {
            pending(cause);
        } else {
            record(cause);
        }
    }

    /** Whether {@code cause} is decided locally and the source may be explaining it on the main channel. */
    static boolean mayHavePeerReason(final FerryException cause) {
        final ErrorCode code = cause.code();
        return code == ErrorCode.TIMEOUT || code == ErrorCode.BARRIER_TIMEOUT || code == ErrorCode.CONTACT_LOST;
    }

    /** Whether a lost channel waits for its grace. */
    boolean hasPending() {
        return null == failure && null != pendingFailure;
    }

    FerryException failure() {
        if (null == failure && null != pendingFailure && System.nanoTime() - pendingDeadlineNs >= 0) {
            failure = pendingFailure;
        }
        return failure;
    }

    boolean failureFromPeer() {
        return failureFromPeer;
    }

    /** We told the source ourselves (a RESULT mismatch, a refused SETUP): it needs no ERROR on top. */
    void peerTold() {
        failureFromPeer = true;
    }

    /** What the conductor itself caught, as the migration's failure. */
    static FerryException caught(final Throwable caught) {
        if (caught instanceof FerryException) {
            return (FerryException)caught;
        }
        if (caught instanceof ProtocolException) {
            return new FerryException(ErrorCode.PROTOCOL_VIOLATION, "main channel: " + caught.getMessage());
        }
        return new FerryException(ErrorCode.INTERNAL, ErrorText.of(caught), caught);
    }

    /** Maps a main-channel loss to the failure it means. */
    static FerryException mainLost(final Exception cause) {
        if (null == cause) {
            return new FerryException(ErrorCode.CONTACT_LOST,
                "the source closed the main channel before the migration ended");
        }
        if (cause instanceof ProtocolException) {
            return new FerryException(ErrorCode.PROTOCOL_VIOLATION, "main channel: " + cause.getMessage());
        }
        return new FerryException(ErrorCode.CONTACT_LOST, "lost the main channel: " + cause.getMessage());
    }
}
