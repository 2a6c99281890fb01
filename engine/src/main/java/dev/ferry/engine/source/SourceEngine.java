package dev.ferry.engine.source;

import dev.ferry.engine.ErrorCode;
import dev.ferry.engine.FerryException;
import dev.ferry.engine.GuestControl;
import dev.ferry.engine.MigrationResult;
import dev.ferry.engine.MigrationSource;
import dev.ferry.engine.MigrationStatus;
import dev.ferry.engine.VerifyMode;
import dev.ferry.engine.channel.Connection;
import dev.ferry.engine.channel.Handshake;
import dev.ferry.engine.channel.MainChannel;
import dev.ferry.engine.channel.Watchdog;
import dev.ferry.engine.protocol.HandshakeFlyweight;
import dev.ferry.engine.protocol.MessageFlyweight;
import dev.ferry.engine.protocol.Protocol;
import dev.ferry.engine.protocol.ProtocolException;
import dev.ferry.engine.stats.Counters;
import dev.ferry.engine.stats.MigrationStats;
import dev.ferry.memory.Digests;
import dev.ferry.memory.GuestMemory;
import dev.ferry.memory.PageBitmap;
import dev.ferry.memory.RamBlock;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Phaser;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The migration thread and everything it owns: connections, senders, the SYNC barrier, the round loop,
 * switchover, verification, and the one place where the outcome is decided ({@link #finish}).
 * <p>
 * Failure from any thread goes through {@link #fail}: it records the first cause, terminates the barrier (never
 * deregisters a party: that would open it) and closes the data connections, which unblocks every thread; the
 * migration thread then unwinds into {@link #finish}, which resumes the guest unless the outcome is unknown.
 */
public final class SourceEngine {
    private static final long CLOSE_GRACE_MS = 2_000;
    /** How long a channel's I/O error waits for the peer's own explanation on the main channel. */
    static final long PEER_REASON_GRACE_MS = 500;

    private final MigrationSource.Context ctx;
    private final GuestMemory memory;
    private final GuestControl guest;
    private final List<RamBlock> blocks;
    private final PageBitmap[] ownBitmaps;
    private final Counters counters;
    private final Phaser syncWritten;
    private final List<ChannelSender> senders = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final List<Thread> threads = new ArrayList<>();
    private final CompletableFuture<MigrationResult> result = new CompletableFuture<>();
    private final CompletableFuture<Void> setupAck = new CompletableFuture<>();
    private final CompletableFuture<Void> applied = new CompletableFuture<>();
    private final CompletableFuture<long[]> remoteResult = new CompletableFuture<>();
    private final AtomicReference<FerryException> failure = new AtomicReference<>();
    private final java.util.concurrent.atomic.AtomicBoolean failing = new java.util.concurrent.atomic.AtomicBoolean();
    private final IdleStrategy idle = new BackoffIdleStrategy(64, 16, 1_000, 100_000);
    private volatile MigrationStatus status = MigrationStatus.SETUP;
    private volatile MainChannel main;
    private volatile boolean cancelRequested;
    private volatile boolean finishing;
    private volatile boolean peerTold;
    private volatile boolean failureFromPeer;
    /** The destination said it discarded its copy (ERROR, CANCEL, or a RESULT that is not a verified match). */
    private volatile boolean peerDiscarded;
    private volatile String resultText;
    private boolean paused;
    private boolean verified;
    private int nextSender;
    private long roundBytesStart;
    private long roundStartNs;

    public SourceEngine(final MigrationSource.Context ctx) {
        this.ctx = ctx;
        this.memory = ctx.memory();
        this.guest = ctx.guestControl();
        this.blocks = memory.blocks();
        this.ownBitmaps = new PageBitmap[blocks.size()];
        for (int b = 0; b < blocks.size(); b++) {
            ownBitmaps[b] = new PageBitmap(blocks.get(b).pageCount());
        }
        this.counters = new Counters(ctx.channels());
        this.syncWritten = new Phaser(ctx.channels() + 1);
    }

    public void start() {
        final Thread thread = new Thread(this::run, "ferry-migration");
        thread.setDaemon(true);
        thread.start();
    }

    public CompletableFuture<MigrationResult> result() {
        return result;
    }

    private void run() {
        try {
            connectAndSetUp();
            status = MigrationStatus.ACTIVE;
            migrate();
            awaitApplied();
            closeChannels();
            verify();
        } catch (final Throwable ex) {
            fail(ex);
        } finally {
            finish();
        }
    }

    private void connectAndSetUp() throws IOException {
        final byte[] sessionId = Handshake.newSessionId();
        final Connection connection = connect("main channel");
        try {
            handshake(connection, sessionId, HandshakeFlyweight.KIND_MAIN, 0);
        } catch (final IOException | RuntimeException ex) {
            connection.close();
            counters.mainBytes.addAndGet(connection.bytesWritten());
            throw ex;
        }
        // Only an authenticated peer becomes the main channel: nothing, not even an ERROR, goes to an impostor.
        main = new MainChannel(connection);
        startThread(this::readMain, "ferry-main-reader");
        main.send(MessageFlyweight.SETUP, this::encodeSetup);
        await(setupAck, ctx.appliedTimeoutMs(), "SETUP-ACK");
        for (int i = 0; i < ctx.channels(); i++) {
            final Connection data = connect("data channel " + i);
            final ChannelSender sender = new ChannelSender(i, data, memory, ctx.queueCapacity(), syncWritten,
                counters, this::onChannelFailure);
            senders.add(sender);
            handshake(data, sessionId, HandshakeFlyweight.KIND_DATA, i);
        }
        for (final ChannelSender sender : senders) {
            startThread(sender, "ferry-sender-" + sender.index());
        }
        counters.setupDoneNs.set(System.nanoTime());
    }

    /** The client handshake, bounded: a peer that never answers is cut off after the connect timeout. */
    private void handshake(final Connection connection, final byte[] sessionId, final int kind, final int index)
        throws IOException {
        final var watchdog = Watchdog.closeAfter(connection, ctx.connectTimeoutMs());
        try {
            Handshake.client(connection, ctx.secret(), sessionId, kind, index, ctx.channels());
        } catch (final java.nio.channels.ClosedChannelException ex) {
            checkFailure();
            throw new FerryException(ErrorCode.HANDSHAKE_FAILED, connection + ": no handshake answer within " +
                ctx.connectTimeoutMs() + " ms");
        } finally {
            watchdog.cancel(false);
        }
    }

    private Connection connect(final String what) {
        checkFailure();
        try {
            return Connection.connect(ctx.destination(), (int)Math.min(Integer.MAX_VALUE, ctx.connectTimeoutMs()),
                what + " to " + ctx.destination());
        } catch (final IOException ex) {
            throw new FerryException(ErrorCode.CONNECT_FAILED, "cannot connect " + what + " to " + ctx.destination() +
                ": " + ex.getMessage());
        }
    }

    private int encodeSetup(final org.agrona.MutableDirectBuffer buffer, final int offset) {
        buffer.putInt(offset + MessageFlyweight.SETUP_PAGE_SIZE_OFFSET, memory.pageSizeBytes(), Protocol.BYTE_ORDER);
        buffer.putShort(offset + MessageFlyweight.SETUP_CHANNEL_COUNT_OFFSET, (short)ctx.channels(),
            Protocol.BYTE_ORDER);
        buffer.putShort(offset + MessageFlyweight.SETUP_BLOCK_COUNT_OFFSET, (short)blocks.size(), Protocol.BYTE_ORDER);
        buffer.putInt(offset + MessageFlyweight.SETUP_VERIFY_OFFSET, ctx.verify().ordinal(), Protocol.BYTE_ORDER);
        int at = offset + MessageFlyweight.SETUP_BLOCKS_OFFSET;
        for (final RamBlock block : blocks) {
            final byte[] name = block.name().getBytes(StandardCharsets.UTF_8);
            buffer.putShort(at + MessageFlyweight.BLOCK_ID_OFFSET, (short)block.id(), Protocol.BYTE_ORDER);
            buffer.putShort(at + MessageFlyweight.BLOCK_NAME_LENGTH_OFFSET, (short)name.length, Protocol.BYTE_ORDER);
            buffer.putLong(at + MessageFlyweight.BLOCK_LENGTH_OFFSET, block.lengthBytes(), Protocol.BYTE_ORDER);
            buffer.putBytes(at + MessageFlyweight.BLOCK_NAME_OFFSET, name);
            at += MessageFlyweight.BLOCK_NAME_OFFSET + name.length;
        }
        return at - offset;
    }

    /** The round loop: round 0 sends every page; later rounds what was dirtied meanwhile; the last one paused. */
    private void migrate() throws IOException {
        boolean last = ctx.maxRounds() == 1;
        if (last) {
            pause();
        }
        int round = 0;
        while (true) {
            harvest(round);
            counters.rounds.set(round + 1);
            roundStartNs = System.nanoTime();
            roundBytesStart = counters.transferredBytes();
            sendRound(round);
            endRound(round);
            if (last) {
                break;
            }
            if (shouldSwitchOver(round)) {
                pause();
                last = true;
            }
            round++;
        }
        final java.util.function.Supplier<byte[]> deviceState = ctx.deviceState();
        if (null != deviceState) {
            status = MigrationStatus.DEVICE;
            final byte[] state = deviceState.get();
            if (state.length > Protocol.MAX_MESSAGE_BODY_LENGTH) {
                throw new FerryException(ErrorCode.CONFIGURATION, "device state of " + state.length +
                    " bytes exceeds " + Protocol.MAX_MESSAGE_BODY_LENGTH);
            }
            main.send(MessageFlyweight.DEVICE_STATE, (buffer, offset) -> {
                buffer.putBytes(offset, state);
                return state.length;
            });
        }
        final int finalRound = round;
        final long normalPages = counters.normalPages();
        final long zeroPages = counters.zeroPages();
        main.send(MessageFlyweight.COMPLETE, (buffer, offset) -> {
            buffer.putInt(offset + MessageFlyweight.COMPLETE_ROUND_OFFSET, finalRound, Protocol.BYTE_ORDER);
            buffer.putInt(offset + 4, 0, Protocol.BYTE_ORDER);
            buffer.putLong(offset + MessageFlyweight.COMPLETE_NORMAL_PAGES_OFFSET, normalPages, Protocol.BYTE_ORDER);
            buffer.putLong(offset + MessageFlyweight.COMPLETE_ZERO_PAGES_OFFSET, zeroPages, Protocol.BYTE_ORDER);
            return MessageFlyweight.COMPLETE_LENGTH;
        });
    }

    /** Moves the shared dirty bits into this migration's own bitmaps (round 0: every page). */
    private void harvest(final int round) {
        final long startNs = System.nanoTime();
        long pages = 0;
        for (int b = 0; b < blocks.size(); b++) {
            pages += blocks.get(b).dirtyBitmap().syncAndClear(ownBitmaps[b]);
            if (round == 0) {
                ownBitmaps[b].setAll();
            }
        }
        final long elapsedNs = System.nanoTime() - startNs;
        counters.recordBitmapSync(elapsedNs);
        if (round == 0) {
            pages = memory.pageCount();
        } else if (roundStartNs != 0) {
            final long roundNs = Math.max(1, startNs - roundStartNs);
            counters.dirtyPagesPerSecond.set(pages * 1_000_000_000L / roundNs);
        }
        counters.remainingPages.set(pages);
    }

    /** Queues every page of this round once: the scan only moves forward and clears each bit as it queues. */
    private void sendRound(final int round) {
        for (int b = 0; b < blocks.size(); b++) {
            final PageBitmap own = ownBitmaps[b];
            final int blockId = blocks.get(b).id();
            ChannelSender sender = null;
            Packet packet = null;
            for (long page = own.nextSet(0); page >= 0; page = own.nextSet(page + 1)) {
                if (null == packet) {
                    sender = leastLoadedSender();
                    packet = takeFree(sender).data(blockId, round);
                }
                own.clear(page);
                packet.pages[packet.pageCount++] = page;
                if (packet.isFull()) {
                    enqueue(sender, packet);
                    packet = null;
                }
            }
            if (null != packet) {
                enqueue(sender, packet);
            }
        }
    }

    /** The sender with the shortest queue; ties go round robin so consecutive packets spread out. */
    private ChannelSender leastLoadedSender() {
        final int count = senders.size();
        ChannelSender best = null;
        int bestQueued = Integer.MAX_VALUE;
        for (int i = 0; i < count; i++) {
            final ChannelSender sender = senders.get((nextSender + i) % count);
            final int queued = sender.queued();
            if (queued < bestQueued) {
                best = sender;
                bestQueued = queued;
            }
        }
        nextSender = (best.index() + 1) % count;
        return best;
    }

    /**
     * A free packet of {@code sender}'s pool. Waiting here means every packet of that channel is queued or being
     * written: a channel whose peer stopped reading. It is given as long as the SYNC barrier, then the migration
     * fails rather than hang.
     */
    private Packet takeFree(final ChannelSender sender) {
        Packet packet = sender.free().poll();
        if (null == packet) {
            final long startNs = System.nanoTime();
            while (null == (packet = sender.free().poll())) {
                checkFailure();
                if (System.nanoTime() - startNs > TimeUnit.MILLISECONDS.toNanos(ctx.barrierTimeoutMs())) {
                    throw new FerryException(ErrorCode.TIMEOUT, "data channel " + sender.index() +
                        " wrote nothing for " + ctx.barrierTimeoutMs() + " ms: the destination stopped reading");
                }
                idle.idle();
            }
            idle.reset();
        }
        return packet;
    }

    private void enqueue(final ChannelSender sender, final Packet packet) {
        if (packet.type == Packet.DATA) {
            counters.remainingPages.lazySet(Math.max(0, counters.remainingPages.get() - packet.pageCount));
        }
        // Never waits: a channel's pool holds exactly as many packets as its queue has room for.
        if (!sender.queue().offer(packet)) {
            throw new FerryException(ErrorCode.INTERNAL, "work queue of data channel " + sender.index() + " is full");
        }
    }

    /**
     * Ends round {@code round} as the seed says: a SYNC behind this round's pages on every channel; wait until
     * every sender has <em>written</em> its SYNC (the barrier); only then FLUSH on the main channel. Nothing of the
     * next round is queued before this returns.
     */
    private void endRound(final int round) throws IOException {
        final long startNs = System.nanoTime();
        for (final ChannelSender sender : senders) {
            enqueue(sender, takeFree(sender).control(Packet.SYNC, round));
        }
        awaitSyncWritten(round);
        main.send(MessageFlyweight.FLUSH, (buffer, offset) -> {
            buffer.putInt(offset + MessageFlyweight.FLUSH_ROUND_OFFSET, round, Protocol.BYTE_ORDER);
            return MessageFlyweight.FLUSH_LENGTH;
        });
        counters.recordBarrierLatency(System.nanoTime() - startNs);
    }

    private void awaitSyncWritten(final int round) {
        final int phase = syncWritten.arrive();
        checkFailure();
        if (phase != round) {
            throw new FerryException(ErrorCode.INTERNAL, "SYNC barrier in phase " + phase + " for round " + round);
        }
        try {
            final int next = syncWritten.awaitAdvanceInterruptibly(phase, ctx.barrierTimeoutMs(), TimeUnit.MILLISECONDS);
            if (next < 0) {
                checkFailure();
                throw new FerryException(ErrorCode.INTERNAL, "SYNC barrier terminated without a cause");
            }
        } catch (final TimeoutException ex) {
            final StringBuilder late = new StringBuilder();
            for (final ChannelSender sender : senders) {
                if (sender.lastSyncRound() < round) {
                    late.append(late.length() == 0 ? "" : ", ").append(sender.index());
                }
            }
            throw new FerryException(ErrorCode.BARRIER_TIMEOUT, "channels [" + late + "] did not write the SYNC of" +
                " round " + round + " within " + ctx.barrierTimeoutMs() + " ms");
        } catch (final InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new FerryException(ErrorCode.CANCELLED, "interrupted at the SYNC barrier of round " + round);
        }
    }

    private boolean shouldSwitchOver(final int round) {
        long dirtyPages = 0;
        for (final RamBlock block : blocks) {
            dirtyPages += block.dirtyBitmap().cardinality();
        }
        final long dirtyBytes = dirtyPages * memory.pageSizeBytes();
        final long roundNs = Math.max(1, System.nanoTime() - roundStartNs);
        final long roundBytes = counters.transferredBytes() - roundBytesStart;
        final double bytesPerNs = Math.max(1e-9, (double)roundBytes / roundNs);
        counters.expectedDowntimeMs.set((long)(dirtyBytes / bytesPerNs / 1_000_000));
        counters.remainingPages.set(dirtyPages);
        return dirtyBytes <= ctx.switchoverDirtyBytes() || round + 2 >= ctx.maxRounds();
    }

    private void pause() {
        counters.pausedNs.set(System.nanoTime());
        guest.pause();
        paused = true;
    }

    private void awaitApplied() {
        await(applied, ctx.appliedTimeoutMs(), "APPLIED");
        counters.downtimeNs.set(System.nanoTime() - counters.pausedNs.get());
    }

    /** Clean shutdown of the data channels: each drains what is queued (reason two to wait), then closes. */
    private void closeChannels() throws InterruptedException {
        for (final ChannelSender sender : senders) {
            enqueue(sender, takeFree(sender).control(Packet.CLOSE, 0));
        }
        for (final ChannelSender sender : senders) {
            if (!sender.awaitDrained(ctx.barrierTimeoutMs())) {
                throw new FerryException(ErrorCode.TIMEOUT, "data channel " + sender.index() + " did not drain within " +
                    ctx.barrierTimeoutMs() + " ms");
            }
            sender.connection().close();
        }
    }

    /** Digests the paused source's actual memory and lets the destination compare it with its own. */
    private void verify() throws IOException {
        status = MigrationStatus.VERIFYING;
        final long startNs = System.nanoTime();
        final long downtimeMs = TimeUnit.NANOSECONDS.toMillis(counters.downtimeNs.get());
        final List<int[]> digests = ctx.verify() == VerifyMode.FULL ?
            Digests.of(memory, Digests.DEFAULT_CHUNK_BYTES, ctx.digestThreads()) : List.of();
        main.send(MessageFlyweight.VERIFY, (buffer, offset) -> {
            buffer.putLong(offset + MessageFlyweight.VERIFY_DOWNTIME_OFFSET, downtimeMs, Protocol.BYTE_ORDER);
            buffer.putInt(offset + MessageFlyweight.VERIFY_CHUNK_SIZE_OFFSET, Digests.DEFAULT_CHUNK_BYTES,
                Protocol.BYTE_ORDER);
            buffer.putInt(offset + MessageFlyweight.VERIFY_BLOCK_COUNT_OFFSET, digests.size(), Protocol.BYTE_ORDER);
            int at = offset + MessageFlyweight.VERIFY_BLOCKS_OFFSET;
            for (final int[] block : digests) {
                buffer.putInt(at, block.length, Protocol.BYTE_ORDER);
                at += 4;
                for (final int digest : block) {
                    buffer.putInt(at, digest, Protocol.BYTE_ORDER);
                    at += 4;
                }
            }
            return at - offset;
        });
        final long[] verdict = await(remoteResult, ctx.resultTimeoutMs(), "RESULT");
        counters.verifyNs.set(System.nanoTime() - startNs);
        final int code = (int)verdict[0];
        if (code == MessageFlyweight.RESULT_VERIFIED && ctx.verify() == VerifyMode.FULL) {
            verified = true;
        } else if (code == MessageFlyweight.RESULT_MISMATCH) {
            throw new FerryException(ErrorCode.VERIFICATION_FAILED, "verification failed: " + resultText);
        } else if (ctx.verify() == VerifyMode.FULL) {
            throw new FerryException(ErrorCode.VERIFICATION_FAILED, "destination did not verify: " + resultText);
        }
    }

    /** The main channel's reader: SETUP-ACK, APPLIED, RESULT, and the peer's ERROR or CANCEL. */
    private void readMain() {
        final MainChannel channel = main;
        try {
            while (true) {
                final int type = channel.receive();
                if (type < 0) {
                    throw new IOException("destination closed the main channel");
                }
                switch (type) {
                    case MessageFlyweight.SETUP_ACK:
                        onSetupAck(channel);
                        break;
                    case MessageFlyweight.APPLIED:
                        applied.complete(null);
                        break;
                    case MessageFlyweight.RESULT:
                        resultText = MessageFlyweight.statusText(channel.body(), 0, channel.bodyLength());
                        peerDiscarded = MessageFlyweight.statusCode(channel.body(), 0) == MessageFlyweight.RESULT_MISMATCH;
                        remoteResult.complete(new long[] {
                            MessageFlyweight.statusCode(channel.body(), 0), MessageFlyweight.statusValue(channel.body(), 0)});
                        return;
                    case MessageFlyweight.ERROR:
                    case MessageFlyweight.CANCEL:
                        final ErrorCode code = ErrorCode.of(MessageFlyweight.statusCode(channel.body(), 0));
                        failureFromPeer = true;
                        peerDiscarded = true;
                        fail(new FerryException(code == ErrorCode.CANCELLED ? ErrorCode.CANCELLED : code,
                            "destination: " + MessageFlyweight.statusText(channel.body(), 0, channel.bodyLength())));
                        return;
                    default:
                        throw new ProtocolException("unexpected " + MessageFlyweight.typeName(type) +
                            " from the destination");
                }
            }
        } catch (final ProtocolException ex) {
            fail(new FerryException(ErrorCode.PROTOCOL_VIOLATION, "main channel: " + ex.getMessage()));
        } catch (final IOException | RuntimeException ex) {
            if (!remoteResult.isDone()) {
                failureFromPeer = true;
                fail(new FerryException(ErrorCode.CONTACT_LOST, "lost the main channel: " + ex.getMessage()));
            }
        }
    }

    private void onSetupAck(final MainChannel channel) {
        final int code = MessageFlyweight.statusCode(channel.body(), 0);
        final String text = MessageFlyweight.statusText(channel.body(), 0, channel.bodyLength());
        if (code != 0) {
            failureFromPeer = true;
            fail(new FerryException(ErrorCode.SETUP_REFUSED, "destination refused the setup: " + text));
            return;
        }
        setupAck.complete(null);
    }

    private <T> T await(final CompletableFuture<T> future, final long timeoutMs, final String what) {
        try {
            return future.get(timeoutMs, TimeUnit.MILLISECONDS);
        } catch (final TimeoutException ex) {
            checkFailure();
            throw new FerryException(ErrorCode.TIMEOUT, "no " + what + " from the destination within " + timeoutMs + " ms");
        } catch (final ExecutionException ex) {
            checkFailure();
            throw new FerryException(ErrorCode.INTERNAL, what + ": " + ex.getCause());
        } catch (final InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new FerryException(ErrorCode.CANCELLED, "interrupted waiting for " + what);
        }
    }

    private void checkFailure() {
        final FerryException cause = failure.get();
        if (null != cause) {
            throw cause;
        }
    }

    /**
     * A sender failed. An I/O error is often the echo of a failure the destination is explaining on the main
     * channel at this moment, so it waits a short grace for that explanation before failing on its own account.
     */
    private void onChannelFailure(final int index, final Throwable ex) {
        if (ex instanceof IOException) {
            Watchdog.afterOnOwnThread(PEER_REASON_GRACE_MS, "ferry-fail", () -> fail(channelFailure(index, ex)));
        } else {
            fail(channelFailure(index, ex));
        }
    }

    private static FerryException channelFailure(final int index, final Throwable ex) {
        if (ex instanceof FerryException) {
            return (FerryException)ex;
        }
        return new FerryException(ErrorCode.CHANNEL_FAILED, "data channel " + index + " failed: " + ex);
    }

    /** Cancels the migration from any thread. */
    public void cancel(final String reason) {
        cancelRequested = true;
        fail(new FerryException(ErrorCode.CANCELLED, reason));
    }

    private void tellPeerFirst(final FerryException cause) {
        final MainChannel channel = main;
        if (null != channel && !failureFromPeer && !peerTold) {
            peerTold = true;
            tellPeer(channel, cause.code() == ErrorCode.CANCELLED ? MigrationStatus.CANCELLED : MigrationStatus.FAILED,
                cause);
        }
    }

    /**
     * Records the first failure and unblocks every thread: the barrier is terminated, data connections closed and
     * every future the migration thread may wait on failed. Safe from any thread, any number of times.
     */
    void fail(final Throwable cause) {
        final FerryException ex = cause instanceof FerryException ? (FerryException)cause :
            new FerryException(ErrorCode.INTERNAL, String.valueOf(cause), cause);
        if (finishing || !failing.compareAndSet(false, true)) {
            return;
        }
        // Tell the destination before the failure becomes visible: the migration thread unwinds on seeing it and
        // closes the main channel, which would cut this message off.
        tellPeerFirst(ex);
        failure.set(ex);
        syncWritten.forceTermination();
        for (final ChannelSender sender : senders) {
            sender.stop();
            sender.connection().close();
        }
        setupAck.completeExceptionally(ex);
        applied.completeExceptionally(ex);
        remoteResult.completeExceptionally(ex);
    }

    /** Runs once, on the migration thread: decides the outcome, tells the peer, resumes or not, releases all. */
    private void finish() {
        finishing = true;
        awaitFailurePublished();
        final FerryException cause = failure.get();
        final MigrationStatus outcome;
        if (null == cause) {
            outcome = MigrationStatus.COMPLETED;
        } else if (applied.isDone() && !applied.isCompletedExceptionally() && !peerDiscarded) {
            // The destination holds every page and has not said it threw them away: it may be running the guest
            // (a RESULT lost on the way, a cancel racing it). Resuming here could make two running copies.
            outcome = MigrationStatus.UNKNOWN;
        } else if (cancelRequested || cause.code() == ErrorCode.CANCELLED) {
            outcome = MigrationStatus.CANCELLED;
        } else {
            outcome = MigrationStatus.FAILED;
        }
        final MainChannel channel = main;
        if (null != cause && null != channel && !failureFromPeer && !peerTold) {
            tellPeer(channel, outcome, cause);
        }
        if (paused && outcome != MigrationStatus.COMPLETED && outcome != MigrationStatus.UNKNOWN) {
            guest.resume();
            paused = false;
        }
        for (final ChannelSender sender : senders) {
            sender.stop();
            sender.connection().close();
        }
        if (null != channel) {
            channel.close();
        }
        joinThreads();
        counters.endNs.set(System.nanoTime());
        status = outcome;
        result.complete(new MigrationResult(outcome, verified, null == cause ? ErrorCode.NONE : cause.code(),
            null == cause ? null : cause.getMessage(), stats(), null));
    }

    /**
     * A failing thread tells the peer before it publishes the failure; the outcome must not be decided in between
     * (it would read "no failure"). The tell is bounded by its watchdog, so this wait is too.
     */
    private void awaitFailurePublished() {
        final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(CLOSE_GRACE_MS * 2);
        while (failing.get() && null == failure.get() && System.nanoTime() < deadlineNs) {
            Thread.onSpinWait();
        }
    }

    private static void tellPeer(final MainChannel channel, final MigrationStatus outcome, final FerryException cause) {
        final var closer = Watchdog.closeAfter(channel.connection(), CLOSE_GRACE_MS);
        try {
            channel.sendStatus(outcome == MigrationStatus.CANCELLED ? MessageFlyweight.CANCEL : MessageFlyweight.ERROR,
                cause.code().id(), 0, cause.getMessage());
        } catch (final IOException | RuntimeException ignore) {
            // the peer may be gone already; the outcome stands.
        } finally {
            closer.cancel(false);
        }
    }

    private void startThread(final Runnable runnable, final String name) {
        final Thread thread = new Thread(runnable, name);
        thread.setDaemon(true);
        threads.add(thread);
        thread.start();
    }

    private void joinThreads() {
        for (final Thread thread : threads) {
            try {
                thread.join(CLOSE_GRACE_MS);
            } catch (final InterruptedException ex) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** A live snapshot of the statistics. */
    /** Writes the latency histograms recorded so far as an HdrHistogram log. */
    public void writeHistogramLog(final java.io.OutputStream out) {
        counters.writeHistogramLog(out);
    }

    public MigrationStats stats() {
        final long nowNs = counters.endNs.get() != 0 ? counters.endNs.get() : System.nanoTime();
        final long totalNs = Math.max(1, nowNs - counters.startNs);
        final long setupNs = counters.setupDoneNs.get() == 0 ? 0 : counters.setupDoneNs.get() - counters.startNs;
        final MainChannel channel = main;
        long transferred = counters.mainBytes.get() + (null == channel ? 0 : channel.connection().bytesWritten());
        final List<Long> channelBytes = new ArrayList<>();
        for (int c = 0; c < ctx.channels(); c++) {
            final long bytes = c < senders.size() ? senders.get(c).connection().bytesWritten() : 0;
            channelBytes.add(bytes);
            transferred += bytes;
        }
        final FerryException cause = failure.get();
        return new MigrationStats("source", status.jsonName(), TimeUnit.NANOSECONDS.toMillis(totalNs),
            TimeUnit.NANOSECONDS.toMillis(setupNs), toMs(counters.downtimeNs.get()),
            counters.expectedDowntimeMs.get(), toMs(counters.verifyNs.get()), transferred,
            counters.remainingPages.get() * memory.pageSizeBytes(), (long)(transferred * 1e9 / totalNs),
            memory.totalBytes(), counters.normalPages(), counters.zeroPages(), counters.rounds.get(),
            counters.dirtyPagesPerSecond.get(), counters.throttlePercent.get(), ctx.channels(), channelBytes,
            counters.packetLatency(), counters.barrierLatency(), counters.bitmapSync(), verified,
            null == cause ? null : cause.getMessage(), null == cause ? null : cause.code().name());
    }

    private static long toMs(final long ns) {
        return ns < 0 ? -1 : TimeUnit.NANOSECONDS.toMillis(ns);
    }
}
