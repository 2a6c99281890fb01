package dev.ferry.engine.destination;

import dev.ferry.engine.ErrorCode;
import dev.ferry.engine.FerryException;
import dev.ferry.engine.MemoryFactory;
import dev.ferry.engine.MigrationResult;
import dev.ferry.engine.MigrationStats;
import dev.ferry.engine.VerifyMode;
import dev.ferry.engine.channel.Connection;
import dev.ferry.engine.channel.MainChannel;
import dev.ferry.engine.channel.MainChannelReader;
import dev.ferry.engine.channel.Message;
import dev.ferry.engine.channel.SyncBarrier;
import dev.ferry.engine.channel.Watchdog;
import dev.ferry.engine.conductor.Lifecycle;
import dev.ferry.engine.conductor.Outcome;
import dev.ferry.engine.protocol.CompleteFlyweight;
import dev.ferry.engine.protocol.FlushFlyweight;
import dev.ferry.engine.protocol.MessageFlyweight;
import dev.ferry.engine.protocol.ProtocolException;
import dev.ferry.engine.protocol.StatusFlyweight;
import dev.ferry.engine.protocol.VerifyFlyweight;
import dev.ferry.engine.stats.Counters;
import dev.ferry.engine.stats.FlightEvents;
import dev.ferry.engine.verify.BackgroundDigest;
import org.agrona.concurrent.IdleStrategy;

import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * The destination's conductor: the one thread that owns the migration's state, from the first connection to the
 * outcome. The {@link Admission} hands it the main channel, whose reader posts every message to the
 * {@link DestinationInbox}; the conductor handles them in order: SETUP, FLUSH (arriving at the barrier), DEVICE-STATE,
 * COMPLETE (answering APPLIED), VERIFY (answering RESULT). Receivers and the liveness check post failures; an urgent
 * post terminates the barrier so that the conductor reads it at once. State changes only in {@link #transition}.
 * <p>
 * The conductor finishes the migration: it joins the receivers and stops the digest before memory is closed, so
 * memory is never unmapped under a thread still using it.
 */
final class DestinationConductor implements Runnable, DoorHost, ReceiverHost {
    private static final long CLOSE_GRACE_MS = Lifecycle.CLOSE_GRACE_MS;

    private final DestinationConfig config;
    private final DestinationHooks hooks;
    private Function<String, MemoryFactory> memoryFor;
    private final Counters counters;
    private final Watchdog watchdog;
    private final IdleStrategy idle;
    private final DestinationInbox inbox = new DestinationInbox();
    private final Outcome failures = inbox.outcome();
    private final Lifecycle<DestinationState> lifecycle;
    private final Runnable pumpForCause = this::pumpForCause;
    private final ReceiverGroup receivers;
    private final GuestPlacement placement;
    private SessionDoor admission;
    private BackgroundDigest digest;
    private volatile MainChannel main;
    private volatile SessionSetup session;
    private volatile RoundHold hold;
    private volatile boolean completeReceived;
    private volatile boolean finished;
    private volatile boolean verified;
    private byte[] deviceState = new byte[0];
    private long appliedNs;

    DestinationConductor(final DestinationConfig config, final DestinationHooks hooks, final Counters counters,
        final Watchdog watchdog) {
        this.config = config;
        this.hooks = hooks;
        this.memoryFor = config.memoryFor();
        this.counters = counters;
        this.watchdog = watchdog;
        this.idle = config.idleStrategy().get();
        this.receivers = new ReceiverGroup(hooks, this, counters);
        this.placement = new GuestPlacement(config.memoryFactory(), config.warnings());
        this.lifecycle = new Lifecycle<>("destination", DestinationState.LISTENING, counters, failures, watchdog,
            this::mainBytes);
        counters.expectedDowntimeMs(-1);
    }

    /** Where a guest goes by its name, in place of the configuration's (a door of many sessions wraps it); before run. */
    void memoryFor(final Function<String, MemoryFactory> chosen) {
        this.memoryFor = chosen;
    }

    /** The door this conductor serves; set once, before the first connection can arrive. */
    void admission(final SessionDoor admission) {
        this.admission = admission;
    }

    CompletableFuture<MigrationResult> result() {
        return lifecycle.result();
    }

    void cancel(final String reason) {
        inbox.post(new DestinationEvent.Cancel(reason), true);
    }

    @Override
    public void serveMain(final Connection connection, final byte[] sessionId) {
        final MainChannel channel = new MainChannel(connection);
        inbox.post(new DestinationEvent.MainConnected(channel), false);
        new MainChannelReader(channel, inbox).run();
    }

    @Override
    public void serveData(final Connection connection, final byte[] sessionId, final int index) {
        receivers.serve(connection, index, session);
    }

    @Override
    public void run() {
        ScheduledFuture<?> liveness = null;
        try {
            awaitMain();
            // From the main channel on, a source that falls silent (even before SETUP) fails the migration.
            liveness = watchdog.every(LivenessCheck.PERIOD_MS, new LivenessCheck(admission.connections(),
                () -> lifecycle.state() == DestinationState.VERIFYING ? config.verifyTimeoutMs() : config.idleTimeoutMs(),
                this));
            watchdog.every(Counters.LIVE_REFRESH_MS, () -> counters.refreshLive(mainBytes()));
            onSetup(awaitSetup());
            boolean done = false;
            while (!done) {
                done = onEvent(nextEvent());
            }
        } catch (final Throwable ex) {
            failures.failWith(ex, pumpForCause, idle);
        } finally {
            if (null != liveness) {
                liveness.cancel(false);
            }
            finish();
        }
    }

    private void transition(final DestinationState next) {
        lifecycle.transition(next);
    }

    /** Waits, unbounded as a listener does, for the main channel (or a cancel). */
    private void awaitMain() {
        while (null == main) {
            final DestinationEvent event = nextEvent();
            if (event instanceof DestinationEvent.MainConnected connected) {
                main = connected.channel();
                counters.startClock();
                transition(DestinationState.SETUP);
            } else {
                onEvent(event);
            }
        }
    }

    /** The first message, which must be SETUP. */
    private Message awaitSetup() {
        final DestinationEvent first = nextEvent();
        if (first instanceof DestinationEvent.PeerMessage message) {
            return message.message();
        }
        onEvent(first);
        throw new ProtocolException("expected SETUP first");
    }

    private void onSetup(final Message message) throws IOException {
        final SessionSetup created;
        try {
            created = SessionSetup.of(message, admission.channelCount(), config, memoryFor);
        } catch (final SessionSetup.Refusal refusal) {
            main.sendStatus(MessageFlyweight.SETUP_ACK, ErrorCode.SETUP_REFUSED.id(), 0, refusal.getMessage());
            failures.peerTold();
            throw refusal;
        }
        session = created;
        placement.use(created.factory());
        created.publish(counters, admission.channelCount());
        counters.guest(created.name());
        final SyncBarrier barrier = new SyncBarrier(admission.channelCount(), config.barrierTimeoutMs());
        hold = hooks.holdAtSync() ? RoundHold.holding(barrier, counters) : RoundHold.notHolding(barrier, counters);
        inbox.barrier(barrier);
        admission.sessionReady();
        main.sendStatus(MessageFlyweight.SETUP_ACK, 0, config.verify().ordinal(), "ready");
        counters.setupDone();
        transition(DestinationState.ACTIVE);
    }

    /** The next event; throws the migration's failure as soon as there is one. */
    private DestinationEvent nextEvent() {
        idle.reset();
        while (true) {
            final FerryException cause = failures.failure();
            if (null != cause) {
                throw cause;
            }
            final DestinationEvent event = inbox.poll();
            if (null != event) {
                return event;
            }
            idle.idle();
        }
    }

    /** Handles one event; true when the migration is over (a unit test steps the conductor through these). */
    boolean onEvent(final DestinationEvent event) {
        if (event instanceof DestinationEvent.PeerMessage message) {
            return onMessage(message.message());
        }
        if (event instanceof DestinationEvent.MainLost lost) {
            failures.record(DestinationInbox.mainLostCause(lost.cause()));
        } else if (event instanceof DestinationEvent.ChannelLost lost) {
            inbox.channelLost(lost.channel(), lost.reason());
        } else if (event instanceof DestinationEvent.Failed failed) {
            inbox.recordLocal(failed.cause());
        } else if (event instanceof DestinationEvent.Cancel cancel) {
            failures.record(new FerryException(ErrorCode.CANCELLED, cancel.reason()));
        } else {
            failures.record(new FerryException(ErrorCode.PROTOCOL_VIOLATION, "a second main channel"));
        }
        return false;
    }

    private boolean onMessage(final Message message) {
        try {
            return dispatch(message);
        } catch (final IOException ex) {
            failures.record(new FerryException(ErrorCode.CONTACT_LOST, "lost the main channel: " + ex.getMessage()));
        } catch (final ProtocolException ex) {
            failures.record(Outcome.caught(ex));
        }
        return false;
    }

    private boolean dispatch(final Message message) throws IOException {
        switch (message.type()) {
            case MessageFlyweight.FLUSH:
                onFlush(new FlushFlyweight().wrap(message.body(), 0, message.length()).round());
                return false;
            case MessageFlyweight.DEVICE_STATE:
                deviceState = new byte[message.length()];
                message.body().getBytes(0, deviceState);
                return false;
            case MessageFlyweight.COMPLETE:
                onComplete(new CompleteFlyweight().wrap(message.body(), 0, message.length()));
                return false;
            case MessageFlyweight.VERIFY:
                onVerify(new VerifyFlyweight().wrap(message.body(), 0, message.length()));
                return true;
            case MessageFlyweight.ERROR:
            case MessageFlyweight.CANCEL:
                final StatusFlyweight status = message.status();
                failures.recordFromPeer(new FerryException(message.type() == MessageFlyweight.CANCEL ?
                    ErrorCode.CANCELLED : ErrorCode.of(status.code()), "source: " + status.text()));
                return false;
            default:
                throw new ProtocolException("unexpected " + message.typeName() + " from the source");
        }
    }

    private void onFlush(final long round) {
        ProtocolException.check(!completeReceived, "FLUSH after COMPLETE, round", round, "none");
        if (!hold.onFlush(round)) {
            throw failures.awaitCause(pumpForCause, idle);
        }
    }

    /** A receiver read SYNC of {@code round}; false when the migration ended meanwhile. */
    @Override
    public boolean arriveAtSync(final int channel, final long round) {
        return hold.arriveAtSync(channel, round);
    }

    private void onComplete(final CompleteFlyweight complete) throws IOException {
        ProtocolException.check(!completeReceived, "COMPLETE after COMPLETE, round", complete.round(), "one COMPLETE");
        final long flushed = hold.flushedRounds();
        ProtocolException.check(flushed > 0 && complete.round() == flushed - 1, "COMPLETE round",
            complete.round(), flushed > 0 ? "the last flushed round " + (flushed - 1) : "a FLUSH first: no round was flushed");
        ProtocolException.check(complete.normalPages() == counters.normalPages(), "COMPLETE normal page count",
            complete.normalPages(), counters.normalPages() + " received");
        ProtocolException.check(complete.zeroPages() == counters.zeroPages(), "COMPLETE zero page count",
            complete.zeroPages(), counters.zeroPages() + " received");
        completeReceived = true;
        transition(DestinationState.DEVICE);
        if (null != config.deviceStateConsumer()) {
            config.deviceStateConsumer().accept(deviceState);
        }
        main.send(MessageFlyweight.APPLIED);
        appliedNs = System.nanoTime();
        counters.transferDone();
        transition(DestinationState.VERIFYING);
        if (config.verify() == VerifyMode.FULL) {
            digest = BackgroundDigest.start(session.memory(), config.digestThreads(), config.threadFactory(),
                inbox::needsAttention, "destination", "the received memory");
        }
    }

    private void onVerify(final VerifyFlyweight verify) throws IOException {
        ProtocolException.check(completeReceived, "VERIFY before COMPLETE, length", 0, "COMPLETE first");
        counters.downtimeMs(verify.downtimeMs());
        try {
            verified = VerifyAnswer.answer(verify, config, null == digest ? null : session.memory(), digest, main,
                () -> placement.commit(session.memory()));
        } catch (final VerifyAnswer.Mismatch mismatch) {
            failures.peerTold();
            throw mismatch;
        } finally {
            counters.verifyTimeMs(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - appliedNs));
        }
    }

    /**
     * While the cause of a terminated barrier is awaited: handles the next event, except the source's messages but
     * its ERROR and CANCEL (a FLUSH or COMPLETE then would act on a migration that has failed).
     */
    private void pumpForCause() {
        final DestinationEvent event = inbox.poll();
        if (null != event && (!(event instanceof DestinationEvent.PeerMessage message) ||
            message.message().type() == MessageFlyweight.ERROR || message.message().type() == MessageFlyweight.CANCEL)) {
            onEvent(event);
        }
    }

    /** Posted by receivers and the liveness check: a failure whose cause is known. */
    @Override
    public void fail(final FerryException cause) {
        inbox.post(new DestinationEvent.Failed(cause), true);
    }

    /** Posted by receivers: a data channel ended early or broke; the source's reason may follow. */
    @Override
    public void channelLost(final int channel, final String reason) {
        FlightEvents.channelFailure("destination", channel, reason);
        inbox.post(new DestinationEvent.ChannelLost(channel, reason), true);
    }

    @Override
    public boolean isCompleteReceived() {
        return completeReceived;
    }

    /** Receivers stop reading once the migration ends or anything urgent was posted. */
    @Override
    public boolean isFinished() {
        return finished || inbox.needsAttention();
    }

    /** Runs once: tells the source why if it does not know, ends every thread, keeps or discards the memory. */
    void finish() {
        finished = true;
        final FerryException cause = failures.failure();
        final DestinationState outcome = null == cause ? DestinationState.COMPLETED :
            cause.code() == ErrorCode.CANCELLED ? DestinationState.CANCELLED : DestinationState.FAILED;
        final SessionSetup created = session;
        lifecycle.finish(outcome, main, () -> {
            // The door's threads end here, before the result (and so the refusal count in it) is final.
            admission.close(CLOSE_GRACE_MS);
            final RoundHold current = hold;
            if (null != current && null != cause) {
                current.terminate();
            }
            final boolean joined = receivers.join(CLOSE_GRACE_MS * 5) &
                (null == digest || digest.stop(CLOSE_GRACE_MS * 5));
            placement.end(null == created ? null : created.memory(), cause, joined);
            watchdog.close();
        }, verified, null == created ? null : created.memory(), null);
    }

    private long mainBytes() {
        final MainChannel channel = main;
        return null == channel ? 0 : channel.connection().bytesRead();
    }

    MigrationStats stats() {
        return lifecycle.stats(verified, null);
    }
}
