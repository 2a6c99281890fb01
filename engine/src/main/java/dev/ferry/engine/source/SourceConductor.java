package dev.ferry.engine.source;

import dev.ferry.engine.ErrorCode;
import dev.ferry.engine.FerryException;
import dev.ferry.engine.MigrationResult;
import dev.ferry.engine.MigrationStats;
import dev.ferry.engine.VerifyMode;
import dev.ferry.engine.channel.Connection;
import dev.ferry.engine.channel.Handshake;
import dev.ferry.engine.channel.MainChannel;
import dev.ferry.engine.channel.MainChannelReader;
import dev.ferry.engine.channel.Message;
import dev.ferry.engine.channel.SyncBarrier;
import dev.ferry.engine.channel.Watchdog;
import dev.ferry.engine.conductor.Lifecycle;
import dev.ferry.engine.protocol.CompleteFlyweight;
import dev.ferry.engine.protocol.HandshakeFlyweight;
import dev.ferry.engine.protocol.MessageFlyweight;
import dev.ferry.engine.protocol.Protocol;
import dev.ferry.engine.protocol.SetupFlyweight;
import dev.ferry.engine.protocol.VerifyFlyweight;
import dev.ferry.engine.stats.Counters;
import dev.ferry.engine.stats.FlightEvents;
import dev.ferry.engine.verify.BackgroundDigest;
import dev.ferry.engine.verify.Verification;
import dev.ferry.memory.FileIdentity;
import dev.ferry.memory.GuestMemory;
import dev.ferry.memory.RamBlock;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.AgentTerminationException;
import org.agrona.concurrent.IdleStrategy;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The source's conductor: the one thread that owns the migration's state. It connects, sets up, runs the rounds
 * through the {@link RoundScheduler}, asks the {@link ConvergencePolicy} (through {@link Convergence}) when to
 * pause, waits for APPLIED, verifies, and decides the outcome. Other threads (the main-channel reader, the
 * senders, a cancelling caller) only post to its {@link SourceInbox}; an urgent post also terminates the barrier so
 * that the conductor stops waiting and reads it. The state changes only in {@link #transition}, which checks every move.
 * <p>
 * Outcome rules: a failure before APPLIED resumes the guest; after APPLIED, anything but a verified RESULT or the
 * destination's word that it discarded its copy is {@code unknown} and leaves the guest paused; a verified completion
 * leaves it paused (it lives on the destination now).
 */
final class SourceConductor implements Runnable {
    private static final System.Logger LOG = System.getLogger(SourceConductor.class.getName());
    private static final long CLOSE_GRACE_MS = Lifecycle.CLOSE_GRACE_MS;

    private final SourceConfig config;
    private final GuestMemory memory;
    private final Counters counters;
    private final SyncBarrier barrier;
    private final Watchdog watchdog;
    private final Dialer dialer;
    private final IdleStrategy idle;
    /** When this conductor was made, and the set-up's phases as they end ({@link FlightEvents#setUp}). */
    private final long createdNs = System.nanoTime();
    private final long[] setUpMarks = new long[7];
    private final SourceInbox inbox;
    private final List<ChannelSender> senders = new ArrayList<>();
    private final List<AgentRunner> runners = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();
    private final Lifecycle<SourceState> lifecycle;
    private final RoundScheduler scheduler;
    private final Convergence convergence;
    private AutoCloseable budgetShare;
    private volatile MainChannel main;
    private volatile long failedHandshakeBytes;
    private volatile boolean verified;
    private boolean paused;
    private ScheduledFuture<?> deadline;
    private long pausedNs;
    private BackgroundDigest digest;

    SourceConductor(final SourceConfig config, final Counters counters) {
        this.config = config;
        this.memory = config.memory();
        this.counters = counters;
        this.barrier = new SyncBarrier(config.channels(), config.barrierTimeoutMs());
        this.watchdog = new Watchdog(config.threadFactory());
        this.idle = config.idleStrategy().get();
        this.inbox = new SourceInbox(barrier, idle);
        this.dialer = new Dialer(config, watchdog, inbox);
        this.scheduler = new RoundScheduler(memory, senders, barrier, counters, idle, inbox);
        this.convergence = new Convergence(config, counters);

        counters.channels(config.channels());
        counters.compression(config.compression().cliName());
        counters.guest(config.name());
        counters.totalBytes(memory.totalBytes());
        this.lifecycle = new Lifecycle<>("source", SourceState.CONNECTING, counters, inbox.outcome(), watchdog,
            this::mainBytes);
    }

    CompletableFuture<MigrationResult> result() {
        return lifecycle.result();
    }

    /** What other threads post to (a unit test posts the events a migration would). */
    SourceInbox inbox() {
        return inbox;
    }

    /** What an operator may change while the migration runs. */
    Convergence convergence() {
        return convergence;
    }

    /** Posts a cancel; the conductor tells the destination and decides the outcome. Safe from any thread. */
    void cancel(final String reason) {
        inbox.post(new SourceEvent.Cancel(reason), true);
    }

    @Override
    public void run() {
        try {
            // Joined on this thread before the first packet, left in finish() whichever way (before the result):
            // a migration whose thread never started never joined.
            if (null != config.bandwidthBudget()) {
                budgetShare = config.bandwidthBudget().join(config.bandwidthWeight(), convergence::budgetShare);
            }
            deadline = watchdog.after(config.timeoutMs(), () -> inbox.post(new SourceEvent.Failed(
                convergence.notConverged(config.timeoutMs())), true));
            watchdog.every(Convergence.SAMPLE_PERIOD_MS, convergence::sample);
            watchdog.every(Counters.LIVE_REFRESH_MS, () -> counters.refreshLive(mainBytes()));
            setUpMarks[0] = System.nanoTime();
            connectAndSetUp();
            FlightEvents.setUp(setUpMarks[0] - createdNs, setUpMarks);
            migrate();
            awaitApplied();
            scheduler.closeChannels();
            verify();
        } catch (final Throwable ex) {
            inbox.failWith(ex);
        } finally {
            finish();
        }
    }

    /** Moves to {@code next}, checked (a step of {@link #run}; a unit test walks the states with it). */
    void transition(final SourceState next) {
        lifecycle.transition(next);
    }

    private void connectAndSetUp() throws IOException {
        final byte[] sessionId = Handshake.newSessionId();
        final Connection connection = dialer.connect("main channel");
        setUpMarks[1] = System.nanoTime();
        try {
            dialer.handshake(connection, sessionId, HandshakeFlyweight.KIND_MAIN, 0);
            setUpMarks[2] = System.nanoTime();
        } catch (final IOException | RuntimeException ex) {
            connection.close();
            failedHandshakeBytes = connection.bytesWritten();
            throw ex;
        }
        // Only an authenticated peer becomes the main channel: nothing, not even an ERROR, goes to an impostor.
        final MainChannel channel = new MainChannel(connection);
        main = channel;
        startThread(new MainChannelReader(channel, inbox), "ferry-main-reader");
        channel.send(MessageFlyweight.SETUP, (buffer, offset) -> new SetupFlyweight().wrap(buffer, offset, 0)
            .encode(memory.pageSizeBytes(), config.channels(), config.verify().ordinal(),
                config.compression().wireId(), memory.specs(), FileIdentity.hostId(), backingFiles(), config.name()));
        setUpMarks[3] = System.nanoTime();
        final CompletableFuture<Dialer.Dial> ahead = dialer.dataChannelsAhead(sessionId);
        startSenders(); // their threads start while SETUP-ACK comes back and the channels are dialed
        inbox.await(inbox::setupAcked, config.appliedTimeoutMs(), "SETUP-ACK"); // a failure: stopThreads ends the dial
        setUpMarks[4] = System.nanoTime();
        // The dial ends by itself within its deadlines; waiting here through the inbox keeps a cancel prompt.
        inbox.await(ahead::isDone, 2 * config.connectTimeoutMs() + 1_000, "answer to the data channels");
        final List<Connection> data = dialer.dataChannelsAfterSetUp(ahead, sessionId);
        setUpMarks[5] = System.nanoTime();
        for (int i = 0; i < data.size(); i++) {
            senders.get(i).attach(data.get(i));
        }
        setUpMarks[6] = System.nanoTime();
        counters.setupDone();
    }

    /** One sender per channel, each on its own thread, idle until the conductor attaches its channel and queues. */
    private void startSenders() {
        for (int i = 0; i < config.channels(); i++) {
            senders.add(new ChannelSender(i, memory, config.queueCapacity(), barrier, counters, convergence.limiter(),
                config.compression(), config.effectiveCompressionLevel(), (index, cause) -> {
                    FlightEvents.channelFailure("source", index, cause);
                    inbox.post(new SourceEvent.ChannelFailed(index, cause), true);
                }));
        }
        for (final ChannelSender sender : senders) {
            final AgentRunner runner = new AgentRunner(config.idleStrategy().get(), SourceConductor::onAgentError,
                null, sender);
            runners.add(runner);
            AgentRunner.startOnThread(runner, config.threadFactory());
        }
    }

    /** Errors reach the conductor through the inbox; the runner only sees the agent's way of ending. */
    private static void onAgentError(final Throwable ex) {
        if (!(ex instanceof AgentTerminationException)) {
            LOG.log(System.Logger.Level.WARNING, "sender agent", ex);
        }
    }

    /** The round loop: round 0 sends every page; later rounds what was dirtied meanwhile; the last one paused. */
    private void migrate() throws IOException {
        boolean last = convergence.stopAndCopy();
        if (last) {
            pause(ConvergencePolicy.Reason.MAX_ROUNDS, 0);
        } else {
            transition(SourceState.ACTIVE);
        }
        int round = 0;
        while (true) {
            inbox.check();
            final long pages = scheduler.harvest(round);
            convergence.roundStarted(pages);
            scheduler.sendRound(round, last ? () -> false : convergence::forced);
            scheduler.endRound(round, main);
            if (last) {
                convergence.finalRound(round, pages, scheduler.roundNs(), scheduler.roundBytes());
                break;
            }
            final ConvergencePolicy.Reason reason = convergence.afterRound(round, pages, scheduler.roundNs(),
                scheduler.roundBytes(), scheduler.dirtyBytes());
            if (null != reason) {
                pause(reason, round + 1);
                last = true;
            }
            round++;
        }
        sendDeviceStateAndComplete(round);
        if (config.verify() == VerifyMode.FULL) {
            // The guest is paused and every page is written to the channels: the digest of its memory as it now is
            // starts here, overlapping the destination's last applying and APPLIED, without taking a core from
            // the senders while the downtime's final round runs.
            digest = BackgroundDigest.start(memory, config.digestThreads(), config.threadFactory(),
                inbox::needsAttention, "source", "the source's memory");
        }
    }

    private void sendDeviceStateAndComplete(final int finalRound) throws IOException {
        transition(SourceState.COMPLETING);
        if (null != config.deviceState()) {
            final byte[] deviceState = config.deviceState().get();
            if (deviceState.length > Protocol.MAX_MESSAGE_BODY_LENGTH) {
                throw new FerryException(ErrorCode.CONFIGURATION, "device state of " + deviceState.length +
                    " bytes exceeds " + Protocol.MAX_MESSAGE_BODY_LENGTH);
            }
            main.send(MessageFlyweight.DEVICE_STATE, (buffer, offset) -> {
                buffer.putBytes(offset, deviceState);
                return deviceState.length;
            });
        }
        final long normalPages = counters.normalPages();
        final long zeroPages = counters.zeroPages();
        main.send(MessageFlyweight.COMPLETE, (buffer, offset) -> {
            new CompleteFlyweight().wrap(buffer, offset, CompleteFlyweight.LENGTH)
                .encode(finalRound, normalPages, zeroPages);
            return CompleteFlyweight.LENGTH;
        });
    }

    /** Pauses the guest for the final round (a step of {@link #run}; a unit test calls it alone). */
    void pause(final ConvergencePolicy.Reason reason, final int finalRound) {
        convergence.switchingOver(reason, finalRound);
        pausedNs = System.nanoTime();
        config.guestControl().pause();
        paused = true;
        transition(SourceState.SWITCHOVER);
    }

    private void awaitApplied() {
        inbox.await(inbox::applied, convergence.appliedWaitMs(config.appliedTimeoutMs()), "APPLIED");
        deadline.cancel(false);
        convergence.applied();
        counters.transferDone();
        counters.downtimeMs(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - pausedNs));
    }

    /** Digests the paused source's actual memory and lets the destination compare it with its own. */
    private void verify() throws IOException {
        transition(SourceState.VERIFYING);
        final long startNs = System.nanoTime();
        final FlightEvents.Verification event = FlightEvents.verification("source");
        final List<int[]> digests = null == digest ? List.of() : digest.await(config.resultTimeoutMs());
        final long downtimeMs = counters.downtimeMs();
        main.send(MessageFlyweight.VERIFY, (buffer, offset) -> new VerifyFlyweight().wrap(buffer, offset, 0)
            .encode(downtimeMs, Verification.CHUNK_BYTES, digests));
        inbox.await(() -> null != inbox.result(), config.resultTimeoutMs(), "RESULT");
        counters.verifyTimeMs(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs));
        final Message answer = inbox.result();
        verified = Verification.judge(answer.status().code(), answer.status().text(), config.verify());
        if (null != event) {
            event.end(verified);
        }
    }

    /** Runs once, on this thread: decides the outcome, tells the peer, resumes or not, releases everything. */
    void finish() {
        inbox.drain();
        final SourceState outcome = outcome(inbox.failure());
        final MainChannel channel = main;
        lifecycle.finish(outcome, channel, () -> {
            leaveBudget();
            convergence.lift();
            if (paused && outcome != SourceState.COMPLETED && outcome != SourceState.UNKNOWN) {
                config.guestControl().resume();
                paused = false;
            }
            stopThreads(channel);
            // The memory is the embedder's, who may unmap it as soon as the result is out: the digest reading it
            // must have ended first. It stops at its next 1 MiB chunk; a long wait is a starved thread, so wait on.
            while (null != digest && !digest.stop(CLOSE_GRACE_MS * 5)) {
                LOG.log(System.Logger.Level.ERROR, "the source's digest has not stopped after {0} ms; waiting for " +
                    "it before the result, so that memory is not unmapped under it", CLOSE_GRACE_MS * 5);
            }
        }, verified, null, convergence.stats());
    }

    private void leaveBudget() {
        if (null != budgetShare) {
            try {
                budgetShare.close();
            } catch (final Exception impossible) { // the budget's handle throws nothing
                throw new IllegalStateException(impossible);
            }
        }
    }

    private SourceState outcome(final FerryException cause) {
        if (null == cause) {
            return SourceState.COMPLETED;
        }
        if (inbox.applied() && !inbox.peerDiscarded()) {
            // The destination holds every page and has not said it threw them away: it may be running the guest
            // (a RESULT lost on the way, a cancel racing it). Resuming here could make two running copies.
            return SourceState.UNKNOWN;
        }
        return inbox.cancelRequested() || cause.code() == ErrorCode.CANCELLED ? SourceState.CANCELLED :
            SourceState.FAILED;
    }

    private void stopThreads(final MainChannel channel) {
        dialer.stop(CLOSE_GRACE_MS); // data channels still being dialed (a set-up that failed) are closed
        for (final ChannelSender sender : senders) {
            sender.stop();
            sender.closeConnection();
        }
        if (null != channel) {
            channel.close();
        }
        for (final AgentRunner runner : runners) {
            runner.close((int)CLOSE_GRACE_MS, thread -> thread.interrupt());
        }
        for (final Thread thread : threads) {
            try {
                thread.join(CLOSE_GRACE_MS);
            } catch (final InterruptedException ex) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        watchdog.close();
    }

    private void startThread(final Runnable runnable, final String name) {
        final Thread thread = config.threadFactory().newThread(runnable);
        thread.setName(name);
        threads.add(thread);
        thread.start();
    }

    private long mainBytes() {
        final MainChannel channel = main;
        return failedHandshakeBytes + (null == channel ? 0 : channel.connection().bytesWritten());
    }

    /** A live snapshot of the statistics; the same counters {@code ferry stat} reads. */
    MigrationStats stats() {
        return lifecycle.stats(verified, convergence.stats());
    }

    /** Each block's backing file, so that a destination on this host can refuse to write onto it (null: anonymous). */
    private List<FileIdentity> backingFiles() {
        final List<FileIdentity> files = new ArrayList<>(memory.blocks().size());
        for (final RamBlock block : memory.blocks()) {
            files.add(block.fileIdentity());
        }
        return files;
    }
}
