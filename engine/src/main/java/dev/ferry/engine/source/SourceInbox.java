package dev.ferry.engine.source;

import dev.ferry.engine.channel.MainChannelReader;
import dev.ferry.engine.channel.Message;
import dev.ferry.engine.channel.SyncBarrier;
import dev.ferry.engine.error.ErrorCode;
import dev.ferry.engine.error.FerryException;
import dev.ferry.engine.protocol.MessageFlyweight;
import dev.ferry.engine.protocol.ProtocolException;
import dev.ferry.engine.protocol.StatusFlyweight;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.ManyToOneConcurrentLinkedQueue;

import java.io.IOException;
import java.util.concurrent.TimeUnit;

/**
 * The source conductor's inbox and what it has learned from it. Any thread {@link #post posts}; only the conductor
 * {@link #drain drains}, so every field but the queue and {@link #needsAttention} belongs to the conductor's thread.
 * <p>
 * A data channel's I/O error is often the echo of a failure the destination is explaining on the main channel at
 * that moment, so it becomes the migration's failure only after {@link #PEER_REASON_GRACE_MS}, unless the
 * destination's own reason arrives first.
 */
final class SourceInbox implements MainChannelReader.Handler, RoundScheduler.FailureCheck {
    /** How long a channel's I/O error waits for the peer's own explanation on the main channel. */
    static final long PEER_REASON_GRACE_MS = 500;

    private final ManyToOneConcurrentLinkedQueue<SourceEvent> queue = new ManyToOneConcurrentLinkedQueue<>();
    private final SyncBarrier barrier;
    private final IdleStrategy idle;
    private volatile boolean attention;
    private FerryException failure;
    private FerryException pendingFailure;
    private long pendingDeadlineNs;
    private boolean failureFromPeer;
    private boolean peerDiscarded;
    private boolean setupAcked;
    private boolean applied;
    private boolean cancelRequested;
    private Message result;

    SourceInbox(final SyncBarrier barrier, final IdleStrategy idle) {
        this.barrier = barrier;
        this.idle = idle;
    }

    /**
     * Posts {@code event} from any thread. An urgent one (a failure, a cancel) also terminates the barrier and
     * flags a running digest to stop, so that the conductor reads it at once wherever it waits.
     */
    void post(final SourceEvent event, final boolean urgent) {
        queue.offer(event);
        if (urgent) {
            attention = true;
            barrier.terminate();
        }
    }

    /** Something urgent was posted: long work (a digest) should stop. */
    boolean needsAttention() {
        return attention;
    }

    @Override
    public boolean onMessage(final Message message) {
        final int type = message.type();
        final boolean failure = type == MessageFlyweight.ERROR || type == MessageFlyweight.CANCEL ||
            type == MessageFlyweight.SETUP_ACK && message.status().code() != 0;
        post(new SourceEvent.PeerMessage(message), failure);
        return failure || type == MessageFlyweight.RESULT;
    }

    @Override
    public void onEndOfStream() {
        post(new SourceEvent.MainLost(null), true);
    }

    @Override
    public void onError(final Exception cause) {
        post(new SourceEvent.MainLost(cause), true);
    }

    /** Applies every event posted so far (conductor only). */
    void drain() {
        SourceEvent event;
        while (null != (event = queue.poll())) {
            try {
                apply(event);
            } catch (final ProtocolException ex) {
                record(new FerryException(ErrorCode.PROTOCOL_VIOLATION, "main channel: " + ex.getMessage()));
            }
        }
    }

    private void apply(final SourceEvent event) {
        if (event instanceof SourceEvent.PeerMessage message) {
            onPeerMessage(message.message());
        } else if (event instanceof SourceEvent.MainLost lost) {
            onMainLost(lost.cause());
        } else if (event instanceof SourceEvent.ChannelFailed failed) {
            onChannelFailed(failed.channel(), failed.cause());
        } else if (event instanceof SourceEvent.Failed failed) {
            record(failed.cause());
        } else if (event instanceof SourceEvent.Cancel cancel) {
            cancelRequested = true;
            record(new FerryException(ErrorCode.CANCELLED, cancel.reason()));
        }
    }

    private void onPeerMessage(final Message message) {
        final StatusFlyweight status;
        switch (message.type()) {
            case MessageFlyweight.SETUP_ACK:
                status = message.status();
                if (status.code() != 0) {
                    failureFromPeer = true;
                    record(new FerryException(ErrorCode.SETUP_REFUSED, "destination refused the setup: " +
                        status.text()));
                }
                setupAcked = true;
                break;
            case MessageFlyweight.APPLIED:
                applied = true;
                break;
            case MessageFlyweight.RESULT:
                peerDiscarded = message.status().code() == StatusFlyweight.RESULT_MISMATCH;
                result = message;
                break;
            case MessageFlyweight.ERROR:
            case MessageFlyweight.CANCEL:
                status = message.status();
                failureFromPeer = true;
                peerDiscarded = true;
                final ErrorCode code = ErrorCode.of(status.code());
                record(new FerryException(code, "destination: " + status.text()));
                break;
            default:
                record(new FerryException(ErrorCode.PROTOCOL_VIOLATION, "main channel: unexpected " +
                    message.typeName() + " from the destination"));
        }
    }

    private void onMainLost(final Exception cause) {
        if (null != result) {
            return;
        }
        if (cause instanceof ProtocolException) {
            record(new FerryException(ErrorCode.PROTOCOL_VIOLATION, "main channel: " + cause.getMessage()));
        } else {
            failureFromPeer = true;
            record(new FerryException(ErrorCode.CONTACT_LOST, "lost the main channel: " +
                (null == cause ? "destination closed the main channel" : cause.getMessage())));
        }
    }

    private void onChannelFailed(final int channel, final Throwable cause) {
        final FerryException failed = cause instanceof FerryException ? (FerryException)cause :
            new FerryException(ErrorCode.CHANNEL_FAILED, "data channel " + channel + " failed: " + cause);
        if (!(cause instanceof IOException)) {
            record(failed);
        } else {
            pend(failed);
        }
    }

    /** {@code cause} becomes the failure after the grace, unless the peer's reason (or another cause) comes first. */
    private void pend(final FerryException cause) {
        if (null == pendingFailure) {
            pendingFailure = cause;
            pendingDeadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(PEER_REASON_GRACE_MS);
        }
    }

    private void record(final FerryException cause) {
        if (null == failure) {
            failure = cause;
        }
    }

    /** The migration's failure so far, or null: a channel's I/O error counts once its grace is over. */
    FerryException failure() {
        if (null == failure && null != pendingFailure && System.nanoTime() - pendingDeadlineNs >= 0) {
            failure = pendingFailure;
        }
        return failure;
    }

    @Override
    public void check() {
        drain();
        final FerryException cause = failure();
        if (null != cause) {
            throw cause;
        }
    }

    @Override
    public FerryException awaitCause() {
        final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(4 * PEER_REASON_GRACE_MS);
        idle.reset();
        while (System.nanoTime() - deadlineNs < 0) {
            drain();
            final FerryException cause = failure();
            if (null != cause) {
                return cause;
            }
            idle.idle();
        }
        return new FerryException(ErrorCode.INTERNAL, "SYNC barrier terminated without a cause");
    }

    /**
     * Records what the conductor itself caught, unless the inbox explains it: the first cause wins. An I/O error of
     * the conductor's own once the migration runs (a write on the main channel: a broken pipe when the destination
     * has just failed, sent its ERROR and closed) waits for the destination's reason as a data channel's does.
     */
    void failWith(final Throwable caught) {
        drain();
        if (null != failure()) {
            return;
        }
        if (setupAcked && caught instanceof IOException) {
            pend(new FerryException(ErrorCode.CONTACT_LOST, "main channel: " + caught.getMessage()));
        }
        if (null != pendingFailure) {
            record(awaitCause());
            return;
        }
        record(caught instanceof FerryException ? (FerryException)caught :
            new FerryException(ErrorCode.INTERNAL, String.valueOf(caught), caught));
    }

    boolean setupAcked() {
        return setupAcked;
    }

    boolean applied() {
        return applied;
    }

    boolean failureFromPeer() {
        return failureFromPeer;
    }

    boolean peerDiscarded() {
        return peerDiscarded;
    }

    boolean cancelRequested() {
        return cancelRequested;
    }

    /** The destination's RESULT, once it arrived. */
    Message result() {
        return result;
    }
}
