package dev.ferry.engine.source;

import dev.ferry.engine.ErrorCode;
import dev.ferry.engine.FerryException;
import dev.ferry.engine.channel.Message;
import dev.ferry.engine.channel.SyncBarrier;
import dev.ferry.engine.conductor.Inbox;
import dev.ferry.engine.conductor.Outcome;
import dev.ferry.engine.protocol.MessageFlyweight;
import dev.ferry.engine.protocol.ProtocolException;
import dev.ferry.engine.protocol.StatusFlyweight;
import dev.ferry.engine.text.ErrorText;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.SystemNanoClock;

import java.io.IOException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * The source conductor's inbox and what it has learned from it. Any thread {@link #post posts}; only the conductor
 * {@link #drain drains}, so every field but the queue and {@link #needsAttention} belongs to the conductor's thread.
 * <p>
 * A data channel's I/O error is often the echo of a failure the destination is explaining on the main channel at
 * that moment, so it becomes the migration's failure only after {@link Outcome#PEER_REASON_GRACE_MS}, unless the
 * destination's own reason arrives first.
 * <p>
 * The conductor's waits for the destination ({@link #await}) count only time the process ran, and read what arrived
 * before they decide that the destination did not answer: a source stopped (SIGSTOP, a long pause) past its deadline
 * may find the destination's answer waiting in its socket, and throwing that answer away discards a good migration.
 */
final class SourceInbox extends Inbox<SourceEvent> implements RoundScheduler.FailureCheck {
    /**
     * The longest step between two looks of a wait that counts towards its deadline. The conductor looks every
     * 100 microseconds or so; a longer gap is time the process did not run (stopped, a long GC pause, a starved
     * CPU), in which the destination's answer may have arrived unread.
     */
    static final long STALL_STEP_MS = 100;

    private final Outcome outcome = outcome();
    private final IdleStrategy idle;
    private final NanoClock clock;
    private final Runnable pump = this::drain;
    private boolean peerDiscarded;
    private boolean setupAcked;
    private boolean applied;
    private boolean cancelRequested;
    private Message result;

    SourceInbox(final SyncBarrier barrier, final IdleStrategy idle) {
        this(barrier, idle, SystemNanoClock.INSTANCE);
    }

    /** With {@code clock} for every deadline: a test makes time jump, as it does for a stopped process. */
    SourceInbox(final SyncBarrier barrier, final IdleStrategy idle, final NanoClock clock) {
        super(clock, SourceEvent.PeerMessage::new, SourceEvent.MainLost::new);
        this.idle = idle;
        this.clock = clock;
        barrier(barrier);
    }

    /** ERROR, CANCEL, or a refusing SETUP-ACK. */
    @Override
    protected boolean isFailure(final Message message) {
        final int type = message.type();
        return type == MessageFlyweight.ERROR || type == MessageFlyweight.CANCEL ||
            type == MessageFlyweight.SETUP_ACK && message.status().code() != 0;
    }

    /** RESULT: the destination sends nothing after it. */
    @Override
    protected boolean isLast(final Message message) {
        return message.type() == MessageFlyweight.RESULT;
    }

    /** Applies every event posted so far (conductor only). */
    void drain() {
        SourceEvent event;
        while (null != (event = poll())) {
            try {
                apply(event);
            } catch (final ProtocolException ex) {
                outcome.record(new FerryException(ErrorCode.PROTOCOL_VIOLATION, "main channel: " + ex.getMessage()));
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
            outcome.record(failed.cause());
        } else if (event instanceof SourceEvent.Cancel cancel) {
            cancelRequested = true;
            outcome.record(new FerryException(ErrorCode.CANCELLED, cancel.reason()));
        }
    }

    private void onPeerMessage(final Message message) {
        final StatusFlyweight status;
        switch (message.type()) {
            case MessageFlyweight.SETUP_ACK:
                status = message.status();
                if (status.code() != 0) {
                    outcome.recordFromPeer(new FerryException(ErrorCode.SETUP_REFUSED, "destination refused the " +
                        "setup: " + status.text()));
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
                peerDiscarded = true;
                outcome.recordFromPeer(new FerryException(ErrorCode.of(status.code()), "destination: " + status.text()));
                break;
            default:
                outcome.record(new FerryException(ErrorCode.PROTOCOL_VIOLATION, "main channel: unexpected " +
                    message.typeName() + " from the destination"));
        }
    }

    private void onMainLost(final Exception cause) {
        if (null != result) {
            return;
        }
        if (cause instanceof ProtocolException) {
            outcome.record(Outcome.caught(cause));
        } else {
            outcome.recordFromPeer(new FerryException(ErrorCode.CONTACT_LOST, "lost the main channel: " +
                (null == cause ? "destination closed the main channel" : cause.getMessage())));
        }
    }

    private void onChannelFailed(final int channel, final Throwable cause) {
        final FerryException failed = cause instanceof FerryException ? (FerryException)cause :
            new FerryException(ErrorCode.CHANNEL_FAILED, "data channel " + channel + " failed: " + ErrorText.of(cause),
                cause);
        if (!(cause instanceof IOException)) {
            outcome.record(failed);
        } else {
            outcome.pend(failed);
        }
    }

    /** The migration's failure so far, or null: a channel's I/O error counts once its grace is over. */
    FerryException failure() {
        return outcome.failure();
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
        return outcome.awaitCause(pump, idle);
    }

    /**
     * Waits for {@code condition}, reading the inbox meanwhile; the migration's failure ends the wait at once. The
     * deadline counts only time this process ran: a step longer than {@link #STALL_STEP_MS} between two looks counts
     * as that much, so a source stopped while it waits keeps the time it had left. And if the process was stopped
     * during the wait, the main-channel reader was stopped too and may run after this thread: once the deadline has
     * passed it still has {@link Outcome#PEER_REASON_GRACE_MS} of running time to post what is already in the socket, and
     * only then is the destination's silence a {@link ErrorCode#TIMEOUT}. A wait that ran throughout ends at its
     * deadline: its reader had all that time. So a source stopped as COMPLETE passes still reads the APPLIED waiting
     * in its socket, rather than reporting the outcome unknown while the destination holds a verified copy
     * (SourceInboxTest, CliOutcomeTest).
     */
    void await(final BooleanSupplier condition, final long timeoutMs, final String what) {
        final long timeoutNs = TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        final long graceNs = TimeUnit.MILLISECONDS.toNanos(Outcome.PEER_REASON_GRACE_MS);
        final long maxStepNs = TimeUnit.MILLISECONDS.toNanos(STALL_STEP_MS);
        long lastNs = clock.nanoTime();
        long runningNs = 0;
        long stalledNs = 0;
        idle.reset();
        while (true) {
            check();
            if (condition.getAsBoolean()) {
                return;
            }
            final long nowNs = clock.nanoTime();
            final long stepNs = nowNs - lastNs;
            lastNs = nowNs;
            runningNs += Math.min(stepNs, maxStepNs);
            stalledNs += Math.max(stepNs - maxStepNs, 0);
            if (runningNs - timeoutNs > (stalledNs > 0 ? graceNs : 0)) {
                throw new FerryException(ErrorCode.TIMEOUT, "no " + what + " from the destination within " +
                    timeoutMs + " ms" + (stalledNs > 0 ? " (not counting " +
                    TimeUnit.NANOSECONDS.toMillis(stalledNs) + " ms in which this process did not run)" : ""));
            }
            idle.idle();
        }
    }

    /**
     * Records what the conductor itself caught, unless the inbox explains it: the first cause wins. An I/O error of
     * the conductor's own once the migration runs (a write on the main channel: a broken pipe when the destination
     * has just failed, sent its ERROR and closed) waits for the destination's reason as a data channel's does.
     */
    void failWith(final Throwable caught) {
        drain();
        if (null == failure() && setupAcked && caught instanceof IOException) {
            outcome.pend(new FerryException(ErrorCode.CONTACT_LOST, "main channel: " + caught.getMessage()));
        }
        outcome.failWith(caught, pump, idle);
    }

    boolean setupAcked() {
        return setupAcked;
    }

    boolean applied() {
        return applied;
    }

    boolean failureFromPeer() {
        return outcome.failureFromPeer();
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
