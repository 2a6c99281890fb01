package dev.ferry.engine.destination;

import dev.ferry.engine.ErrorCode;
import dev.ferry.engine.FerryException;
import dev.ferry.engine.MigrationDestination;
import dev.ferry.engine.MigrationResult;
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
import dev.ferry.memory.BlockSpec;
import dev.ferry.memory.Digests;
import dev.ferry.memory.DirtyBitmap;
import dev.ferry.memory.GuestMemory;
import dev.ferry.memory.MemoryException;
import dev.ferry.memory.RamBlock;
import org.agrona.MutableDirectBuffer;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Phaser;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The destination's acceptor, main receiver and the state they share with the channel receivers.
 * <p>
 * Barrier: a {@link Phaser} of channels + 1 parties created at SETUP. A receiver that reads SYNC of round r
 * arrives and waits; the main receiver on FLUSH r arrives and waits; the phase advances, and every receiver goes on
 * to round r + 1, only when all have arrived. The round in SYNC and FLUSH must equal the phase being released. Any
 * failure terminates the phaser (no party is ever deregistered: that would open the barrier) and every wait has a
 * timeout and checks for termination.
 * <p>
 * The main receiver's thread finishes the migration: it joins the receivers before memory is closed, so memory is
 * never unmapped under a thread still writing into it.
 */
public final class DestinationEngine {
    private static final long CLOSE_GRACE_MS = 2_000;
    private static final long PEER_REASON_GRACE_MS = 500;
    private static final long LIVENESS_CHECK_MS = 250;

    private final MigrationDestination.Context ctx;
    private final Counters counters;
    private final CompletableFuture<MigrationResult> result = new CompletableFuture<>();
    private final AtomicReference<FerryException> failure = new AtomicReference<>();
    private final AtomicInteger rejected = new AtomicInteger();
    private final AtomicInteger pendingHandshakes = new AtomicInteger();
    private final Set<Connection> connections = ConcurrentHashMap.newKeySet();
    private final List<Thread> receiverThreads = new CopyOnWriteArrayList<>();
    private final AtomicLong firstSyncNs = new AtomicLong();
    private final AtomicBoolean finished = new AtomicBoolean();
    private ServerSocketChannel server;
    private Thread acceptor;
    private volatile MigrationStatus status = MigrationStatus.SETUP;
    private volatile byte[] sessionId;
    private volatile int channelCount;
    private volatile boolean mainTaken;
    private volatile GuestMemory memory;
    private volatile DirtyBitmap[] writtenById;
    private volatile Phaser barrier;
    private volatile boolean[] channelTaken;
    private volatile boolean completeReceived;
    private volatile MainChannel main;
    private volatile Thread mainThread;
    private volatile boolean failureFromPeer;
    private volatile boolean verified;
    private volatile long setupStartNs;
    private volatile long appliedNs;
    private volatile long downtimeMs = -1;
    private volatile long verifyNs = -1;
    private final AtomicBoolean stopDigest = new AtomicBoolean();
    private final CompletableFuture<List<int[]>> digests = new CompletableFuture<>();
    private volatile Thread digestThread;
    private byte[] deviceState = new byte[0];
    private long nextFlushRound;
    private long livenessBytes = -1;
    private long livenessNs;

    public DestinationEngine(final MigrationDestination.Context ctx) {
        this.ctx = ctx;
        this.counters = new Counters(Protocol.MAX_CHANNELS);
    }

    public void start() throws IOException {
        server = ServerSocketChannel.open();
        server.bind(ctx.listen());
        acceptor = new Thread(this::acceptLoop, "ferry-acceptor");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    public InetSocketAddress localAddress() {
        try {
            return (InetSocketAddress)server.getLocalAddress();
        } catch (final IOException ex) {
            return null;
        }
    }

    public CompletableFuture<MigrationResult> result() {
        return result;
    }

    public int rejectedConnections() {
        return rejected.get();
    }

    boolean isCompleteReceived() {
        return completeReceived;
    }

    boolean isFinished() {
        return finished.get() || null != failure.get();
    }

    private void acceptLoop() {
        while (server.isOpen()) {
            final SocketChannel socket;
            try {
                socket = server.accept();
            } catch (final IOException ex) {
                return;
            }
            final Connection connection;
            try {
                connection = new Connection(socket, "connection from " + socket.getRemoteAddress());
            } catch (final IOException ex) {
                closeQuietly(socket);
                continue;
            }
            if (pendingHandshakes.incrementAndGet() > ctx.maxPendingHandshakes() || isFinished()) {
                pendingHandshakes.decrementAndGet();
                rejected.incrementAndGet();
                connection.close();
                continue;
            }
            connections.add(connection);
            final Thread thread = new Thread(() -> serve(connection), "ferry-handshake");
            thread.setDaemon(true);
            thread.start();
        }
    }

    /** Authenticates a connection, then serves it as the main channel or a data channel on this thread. */
    private void serve(final Connection connection) {
        final Handshake.Hello hello;
        final var watchdog = Watchdog.closeAfter(connection, ctx.handshakeTimeoutMs());
        try {
            hello = Handshake.server(connection, ctx.secret(), this::admit);
        } catch (final IOException | RuntimeException ex) {
            rejected.incrementAndGet();
            connections.remove(connection);
            connection.close();
            if (!isFinished()) {
                ctx.warnings().accept("refused " + connection + ": " + (ex instanceof FerryException ?
                    ex.getMessage() : "handshake failed (" + ex + ")"));
            }
            return;
        } finally {
            watchdog.cancel(false);
            pendingHandshakes.decrementAndGet();
        }
        if (hello.kind() == HandshakeFlyweight.KIND_MAIN) {
            Thread.currentThread().setName("ferry-main-receiver");
            runMain(connection);
        } else {
            Thread.currentThread().setName("ferry-receiver-" + hello.channelIndex());
            runReceiver(connection, hello.channelIndex());
        }
    }

    /** Admits a client that proved the secret: one main channel, then data channels of its session. */
    private synchronized int admit(final Handshake.Hello hello) {
        if (isFinished()) {
            return HandshakeFlyweight.ACCEPT_BUSY;
        }
        if (hello.kind() == HandshakeFlyweight.KIND_MAIN) {
            if (mainTaken) {
                return HandshakeFlyweight.ACCEPT_BUSY;
            }
            if (hello.channelCount() < 1 || hello.channelCount() > Protocol.MAX_CHANNELS) {
                return HandshakeFlyweight.ACCEPT_CHANNEL_OUT_OF_RANGE;
            }
            mainTaken = true;
            sessionId = hello.sessionId();
            channelCount = hello.channelCount();
            channelTaken = new boolean[channelCount];
            return HandshakeFlyweight.ACCEPT_OK;
        }
        if (hello.kind() != HandshakeFlyweight.KIND_DATA) {
            return HandshakeFlyweight.ACCEPT_BAD_KIND;
        }
        if (null == sessionId || null == memory) {
            return HandshakeFlyweight.ACCEPT_NO_SESSION;
        }
        if (!Arrays.equals(sessionId, hello.sessionId()) || hello.channelCount() != channelCount) {
            return HandshakeFlyweight.ACCEPT_SESSION_MISMATCH;
        }
        if (hello.channelIndex() >= channelCount) {
            return HandshakeFlyweight.ACCEPT_CHANNEL_OUT_OF_RANGE;
        }
        if (channelTaken[hello.channelIndex()]) {
            return HandshakeFlyweight.ACCEPT_DUPLICATE_CHANNEL;
        }
        channelTaken[hello.channelIndex()] = true;
        return HandshakeFlyweight.ACCEPT_OK;
    }

    private void runReceiver(final Connection connection, final int index) {
        receiverThreads.add(Thread.currentThread());
        if (null != ctx.channelDecorator()) {
            connection.decorateInput(ctx.channelDecorator().decorate(index, connection.socket()));
        }
        if (isFinished()) {
            connection.close();
            return;
        }
        new ChannelReceiver(this, index, connection, memory, writtenById, counters, ctx.pageApplyListener()).run();
    }

    private void runMain(final Connection connection) {
        mainThread = Thread.currentThread();
        main = new MainChannel(connection);
        setupStartNs = System.nanoTime();
        final var liveness = Watchdog.every(LIVENESS_CHECK_MS, this::checkLiveness);
        try {
            expect(MessageFlyweight.SETUP);
            onSetup();
            status = MigrationStatus.ACTIVE;
            boolean done = false;
            while (!done) {
                final int type = main.receive();
                if (type < 0) {
                    throw new FerryException(ErrorCode.CONTACT_LOST, "the source closed the main channel before" +
                        " the migration ended");
                }
                done = onMessage(type);
            }
        } catch (final ProtocolException ex) {
            fail(new FerryException(ErrorCode.PROTOCOL_VIOLATION, "main channel: " + ex.getMessage()));
        } catch (final IOException ex) {
            fail(new FerryException(ErrorCode.CONTACT_LOST, "lost the main channel: " + ex.getMessage()));
        } catch (final RuntimeException ex) {
            fail(ex);
        } finally {
            liveness.cancel(false);
            finish();
        }
    }

    /**
     * A source host that vanishes without closing its connections would leave every thread here blocked in a
     * read for as long as TCP keeps the connections: fail instead when nothing at all has arrived for the idle
     * timeout (the verification timeout while the source digests its memory, when silence is expected).
     */
    private void checkLiveness() {
        long bytes = 0;
        for (final Connection connection : connections) {
            bytes += connection.bytesRead();
        }
        final long nowNs = System.nanoTime();
        if (bytes != livenessBytes) {
            livenessBytes = bytes;
            livenessNs = nowNs;
            return;
        }
        final long limitMs = status == MigrationStatus.VERIFYING ? ctx.verifyTimeoutMs() : ctx.idleTimeoutMs();
        if (nowNs - livenessNs > TimeUnit.MILLISECONDS.toNanos(limitMs) && !isFinished()) {
            livenessNs = nowNs;
            Watchdog.onOwnThread("ferry-fail", () -> fail(new FerryException(ErrorCode.TIMEOUT,
                "nothing from the source for " + limitMs + " ms")));
        }
    }

    private void expect(final int expected) throws IOException {
        final int type = main.receive();
        if (type != expected) {
            throw new ProtocolException("expected " + MessageFlyweight.typeName(expected) + ", got " +
                (type < 0 ? "end of stream" : MessageFlyweight.typeName(type)));
        }
    }

    /** Handles one message after SETUP; true when the migration is over. */
    private boolean onMessage(final int type) throws IOException {
        switch (type) {
            case MessageFlyweight.FLUSH:
                main.requireBodyLength(type, MessageFlyweight.FLUSH_LENGTH);
                onFlush(main.body().getInt(MessageFlyweight.FLUSH_ROUND_OFFSET, Protocol.BYTE_ORDER) & 0xFFFF_FFFFL);
                return false;
            case MessageFlyweight.DEVICE_STATE:
                deviceState = new byte[main.bodyLength()];
                main.body().getBytes(0, deviceState);
                return false;
            case MessageFlyweight.COMPLETE:
                onComplete();
                return false;
            case MessageFlyweight.VERIFY:
                onVerify();
                return true;
            case MessageFlyweight.ERROR:
            case MessageFlyweight.CANCEL:
                final ErrorCode code = ErrorCode.of(MessageFlyweight.statusCode(main.body(), 0));
                failureFromPeer = true;
                throw new FerryException(type == MessageFlyweight.CANCEL ? ErrorCode.CANCELLED : code,
                    "source: " + MessageFlyweight.statusText(main.body(), 0, main.bodyLength()));
            default:
                throw new ProtocolException("unexpected " + MessageFlyweight.typeName(type) + " from the source");
        }
    }

    private void onSetup() throws IOException {
        final MutableDirectBuffer body = main.body();
        final int length = main.bodyLength();
        main.requireBodyLength(MessageFlyweight.SETUP, MessageFlyweight.SETUP_BLOCKS_OFFSET);
        final int pageSize = body.getInt(MessageFlyweight.SETUP_PAGE_SIZE_OFFSET, Protocol.BYTE_ORDER);
        final int channels = body.getShort(MessageFlyweight.SETUP_CHANNEL_COUNT_OFFSET, Protocol.BYTE_ORDER) & 0xFFFF;
        final int blockCount = body.getShort(MessageFlyweight.SETUP_BLOCK_COUNT_OFFSET, Protocol.BYTE_ORDER) & 0xFFFF;
        final int verifyOrdinal = body.getInt(MessageFlyweight.SETUP_VERIFY_OFFSET, Protocol.BYTE_ORDER);
        try {
            RamBlock.validatePageSize(pageSize);
        } catch (final MemoryException ex) {
            throw new ProtocolException("SETUP: " + ex.getMessage());
        }
        ProtocolException.check(channels == channelCount, "SETUP channel count", channels,
            channelCount + " (from the main channel's handshake)");
        ProtocolException.check(blockCount >= 1 && blockCount <= Protocol.MAX_BLOCKS, "SETUP block count", blockCount,
            "1.." + Protocol.MAX_BLOCKS);
        ProtocolException.check(verifyOrdinal >= 0 && verifyOrdinal < VerifyMode.values().length, "SETUP verify mode",
            verifyOrdinal, "0 (full) or 1 (none)");
        final List<BlockSpec> specs = readBlocks(body, length, blockCount, pageSize);
        final VerifyMode sourceVerify = VerifyMode.values()[verifyOrdinal];
        if (sourceVerify != ctx.verify()) {
            refuseSetup("verify mode mismatch: the source says " + sourceVerify.name().toLowerCase() +
                ", this destination " + ctx.verify().name().toLowerCase() + "; give both sides the same --verify");
        }
        final GuestMemory created;
        try {
            created = ctx.memoryFactory().create(specs, pageSize);
        } catch (final MemoryException ex) {
            refuseSetup("cannot create guest memory: " + ex.getMessage());
            return;
        }
        final DirtyBitmap[] written = new DirtyBitmap[Protocol.MAX_BLOCKS];
        for (final RamBlock block : created.blocks()) {
            written[block.id()] = new DirtyBitmap(block.pageCount());
        }
        writtenById = written;
        barrier = new Phaser(channelCount + 1);
        synchronized (this) {
            memory = created;
        }
        main.sendStatus(MessageFlyweight.SETUP_ACK, 0, ctx.verify().ordinal(), "ready");
        counters.setupDoneNs.set(System.nanoTime());
    }

    private List<BlockSpec> readBlocks(
        final MutableDirectBuffer body, final int length, final int blockCount, final int pageSize) {
        final List<BlockSpec> specs = new ArrayList<>(blockCount);
        int at = MessageFlyweight.SETUP_BLOCKS_OFFSET;
        for (int i = 0; i < blockCount; i++) {
            ProtocolException.check(at + MessageFlyweight.BLOCK_NAME_OFFSET <= length, "SETUP length", length,
                "room for block " + i);
            final int id = body.getShort(at + MessageFlyweight.BLOCK_ID_OFFSET, Protocol.BYTE_ORDER) & 0xFFFF;
            final int nameLength = body.getShort(at + MessageFlyweight.BLOCK_NAME_LENGTH_OFFSET, Protocol.BYTE_ORDER) &
                0xFFFF;
            final long blockLength = body.getLong(at + MessageFlyweight.BLOCK_LENGTH_OFFSET, Protocol.BYTE_ORDER);
            ProtocolException.check(id <= GuestMemory.MAX_BLOCK_ID, "block id", id, "0.." + GuestMemory.MAX_BLOCK_ID);
            ProtocolException.check(nameLength >= 1 && nameLength <= RamBlock.MAX_NAME_LENGTH, "block name length",
                nameLength, "1.." + RamBlock.MAX_NAME_LENGTH);
            ProtocolException.check(at + MessageFlyweight.BLOCK_NAME_OFFSET + nameLength <= length, "SETUP length",
                length, "room for the name of block " + i);
            ProtocolException.check(blockLength > 0 && blockLength % pageSize == 0, "block length", blockLength,
                "a positive multiple of the page size " + pageSize);
            final byte[] name = new byte[nameLength];
            body.getBytes(at + MessageFlyweight.BLOCK_NAME_OFFSET, name);
            specs.add(new BlockSpec(id, new String(name, StandardCharsets.UTF_8), blockLength));
            at += MessageFlyweight.BLOCK_NAME_OFFSET + nameLength;
        }
        ProtocolException.check(at == length, "SETUP length", length, at + " for " + blockCount + " blocks");
        return specs;
    }

    private void refuseSetup(final String reason) throws IOException {
        main.sendStatus(MessageFlyweight.SETUP_ACK, ErrorCode.SETUP_REFUSED.id(), 0, reason);
        failureFromPeer = true;
        throw new FerryException(ErrorCode.SETUP_REFUSED, reason);
    }

    /** A receiver read SYNC of {@code round}: stop here until every channel has, and the FLUSH is in. */
    void arriveAtSync(final int channel, final long round) {
        firstSyncNs.compareAndSet(0, System.nanoTime());
        if (ctx.testOnlyDisableSyncHold()) {
            return;
        }
        awaitBarrier(round, "data channel " + channel + " at the SYNC of round " + round);
    }

    private void onFlush(final long round) {
        ProtocolException.check(round == nextFlushRound, "FLUSH round", round, Long.toString(nextFlushRound));
        ProtocolException.check(!completeReceived, "FLUSH after COMPLETE, round", round, "none");
        if (!ctx.testOnlyDisableSyncHold()) {
            awaitBarrier(round, "the main channel at the FLUSH of round " + round);
        }
        final long firstNs = firstSyncNs.getAndSet(0);
        if (firstNs != 0) {
            counters.recordBarrierLatency(System.nanoTime() - firstNs);
        }
        counters.rounds.set(round + 1);
        nextFlushRound++;
    }

    private void awaitBarrier(final long round, final String who) {
        final Phaser phaser = barrier;
        final int phase = phaser.arrive();
        if (phase < 0) {
            throw stopped();
        }
        ProtocolException.check(phase == round, "round at the barrier for " + who + ", phase", phase,
            Long.toString(round));
        try {
            if (phaser.awaitAdvanceInterruptibly(phase, ctx.barrierTimeoutMs(), TimeUnit.MILLISECONDS) < 0) {
                throw stopped();
            }
        } catch (final TimeoutException ex) {
            throw new FerryException(ErrorCode.BARRIER_TIMEOUT, who + ": the SYNC/FLUSH barrier did not open within " +
                ctx.barrierTimeoutMs() + " ms (" + phaser.getArrivedParties() + " of " +
                phaser.getRegisteredParties() + " arrived)");
        } catch (final InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw stopped();
        }
    }

    private FerryException stopped() {
        final FerryException cause = failure.get();
        return null != cause ? cause : new FerryException(ErrorCode.INTERNAL, "barrier terminated without a cause");
    }

    private void onComplete() throws IOException {
        main.requireBodyLength(MessageFlyweight.COMPLETE, MessageFlyweight.COMPLETE_LENGTH);
        final long round = main.body().getInt(MessageFlyweight.COMPLETE_ROUND_OFFSET, Protocol.BYTE_ORDER) & 0xFFFF_FFFFL;
        ProtocolException.check(nextFlushRound > 0 && round == nextFlushRound - 1, "COMPLETE round", round,
            "the last flushed round " + (nextFlushRound - 1));
        final long normalPages = main.body().getLong(MessageFlyweight.COMPLETE_NORMAL_PAGES_OFFSET, Protocol.BYTE_ORDER);
        final long zeroPages = main.body().getLong(MessageFlyweight.COMPLETE_ZERO_PAGES_OFFSET, Protocol.BYTE_ORDER);
        ProtocolException.check(normalPages == counters.normalPages(), "COMPLETE normal page count", normalPages,
            counters.normalPages() + " received");
        ProtocolException.check(zeroPages == counters.zeroPages(), "COMPLETE zero page count", zeroPages,
            counters.zeroPages() + " received");
        completeReceived = true;
        status = MigrationStatus.DEVICE;
        if (null != ctx.deviceStateConsumer()) {
            ctx.deviceStateConsumer().accept(deviceState);
        }
        main.send(MessageFlyweight.APPLIED);
        appliedNs = System.nanoTime();
        status = MigrationStatus.VERIFYING;
        if (ctx.verify() == VerifyMode.FULL) {
            final GuestMemory received = memory;
            digestThread = new Thread(() -> {
                try {
                    digests.complete(Digests.of(received, Digests.DEFAULT_CHUNK_BYTES, ctx.digestThreads(),
                        stopDigest::get));
                } catch (final RuntimeException ex) {
                    digests.completeExceptionally(ex);
                }
            }, "ferry-digest-destination");
            digestThread.setDaemon(true);
            digestThread.start();
        }
    }

    private void onVerify() throws IOException {
        ProtocolException.check(completeReceived, "VERIFY before COMPLETE, length", main.bodyLength(), "COMPLETE first");
        main.requireBodyLength(MessageFlyweight.VERIFY, MessageFlyweight.VERIFY_BLOCKS_OFFSET);
        final MutableDirectBuffer body = main.body();
        downtimeMs = body.getLong(MessageFlyweight.VERIFY_DOWNTIME_OFFSET, Protocol.BYTE_ORDER);
        final int chunkBytes = body.getInt(MessageFlyweight.VERIFY_CHUNK_SIZE_OFFSET, Protocol.BYTE_ORDER);
        final int blockCount = body.getInt(MessageFlyweight.VERIFY_BLOCK_COUNT_OFFSET, Protocol.BYTE_ORDER);
        if (ctx.verify() == VerifyMode.NONE) {
            ProtocolException.check(blockCount == 0, "VERIFY block count", blockCount, "0 (verification is off)");
            verifyNs = System.nanoTime() - appliedNs;
            main.sendStatus(MessageFlyweight.RESULT, MessageFlyweight.RESULT_NOT_VERIFIED, 0, "not verified");
            return;
        }
        ProtocolException.check(chunkBytes == Digests.DEFAULT_CHUNK_BYTES, "VERIFY chunk size", chunkBytes,
            Integer.toString(Digests.DEFAULT_CHUNK_BYTES));
        final List<RamBlock> blocks = memory.blocks();
        ProtocolException.check(blockCount == blocks.size(), "VERIFY block count", blockCount,
            Integer.toString(blocks.size()));
        final List<int[]> ours = awaitDigests();
        long mismatched = 0;
        String first = null;
        int at = MessageFlyweight.VERIFY_BLOCKS_OFFSET;
        for (int b = 0; b < blockCount; b++) {
            final int[] mine = ours.get(b);
            ProtocolException.check(at + 4 <= main.bodyLength(), "VERIFY length", main.bodyLength(), "room for block " + b);
            final int chunks = body.getInt(at, Protocol.BYTE_ORDER);
            ProtocolException.check(chunks == mine.length, "VERIFY chunk count of block " + b, chunks,
                Integer.toString(mine.length));
            ProtocolException.check(at + 4 + 4L * chunks <= main.bodyLength(), "VERIFY length", main.bodyLength(),
                "room for the digests of block " + b);
            at += 4;
            for (int c = 0; c < chunks; c++, at += 4) {
                if (body.getInt(at, Protocol.BYTE_ORDER) != mine[c]) {
                    if (mismatched++ == 0) {
                        first = "block '" + blocks.get(b).name() + "' at offset " + (long)c * chunkBytes;
                    }
                }
            }
        }
        verifyNs = System.nanoTime() - appliedNs;
        if (mismatched == 0) {
            verified = true;
            main.sendStatus(MessageFlyweight.RESULT, MessageFlyweight.RESULT_VERIFIED, 0, "verified");
        } else {
            final String text = mismatched + " chunks of " + chunkBytes + " bytes differ; first: " + first;
            main.sendStatus(MessageFlyweight.RESULT, MessageFlyweight.RESULT_MISMATCH, mismatched, text);
            failureFromPeer = true;
            throw new FerryException(ErrorCode.VERIFICATION_FAILED, "verification failed: " + text);
        }
    }

    private List<int[]> awaitDigests() {
        try {
            return digests.get(ctx.verifyTimeoutMs(), TimeUnit.MILLISECONDS);
        } catch (final Exception ex) {
            throw new FerryException(ErrorCode.INTERNAL, "digesting the received memory failed: " + ex);
        }
    }

    /** Cancels from any thread. */
    public void cancel(final String reason) {
        fail(new FerryException(ErrorCode.CANCELLED, reason));
        if (null == main) {
            finish();
        }
    }

    /**
     * Records the first failure and unblocks every thread: barrier terminated, every connection closed but the main
     * one (so the main receiver can still tell the source why, in {@link #finish}). Safe from any thread.
     */
    void fail(final Throwable cause) {
        final FerryException ex = cause instanceof FerryException ? (FerryException)cause :
            new FerryException(ErrorCode.INTERNAL, String.valueOf(cause), cause);
        if (finished.get() || !failure.compareAndSet(null, ex)) {
            return;
        }
        final MainChannel channel = main;
        final boolean offMainThread = Thread.currentThread() != mainThread;
        if (null != channel && offMainThread && !failureFromPeer) {
            tellPeer(channel, ex);
        }
        final Phaser phaser = barrier;
        if (null != phaser) {
            phaser.forceTermination();
        }
        for (final Connection connection : connections) {
            if (null == channel || connection != channel.connection()) {
                connection.close();
            }
        }
        if (null != channel && offMainThread) {
            // the main receiver may be blocked reading: closing makes it unwind into finish().
            channel.close();
        }
    }

    /**
     * A data channel ended before COMPLETE, or its connection failed. The source usually says why on the main
     * channel at the same moment (CANCEL, ERROR), so the failure waits a short grace for that reason before being
     * recorded as a lost channel.
     */
    void channelLost(final int channel, final String reason) {
        Watchdog.afterOnOwnThread(PEER_REASON_GRACE_MS, "ferry-fail", () -> fail(new FerryException(
            ErrorCode.CHANNEL_FAILED, "data channel " + channel + " " + reason)));
    }

    /** Runs once: tells the source why if it does not know, ends every thread, keeps or discards the memory. */
    private void finish() {
        if (!finished.compareAndSet(false, true)) {
            return;
        }
        final FerryException cause = failure.get();
        final MigrationStatus outcome = null == cause ? MigrationStatus.COMPLETED :
            cause.code() == ErrorCode.CANCELLED ? MigrationStatus.CANCELLED : MigrationStatus.FAILED;
        final MainChannel channel = main;
        if (null != cause && null != channel && !failureFromPeer) {
            tellPeer(channel, cause);
        }
        closeQuietly(server);
        for (final Connection connection : connections) {
            connection.close();
        }
        final Phaser phaser = barrier;
        if (null != phaser && null != cause) {
            phaser.forceTermination();
        }
        final boolean joined = joinReceivers() & stopDigest();
        final GuestMemory received = memory;
        if (null != cause && null != received) {
            if (joined) {
                received.close();
                ctx.memoryFactory().discard(received);
            } else {
                ctx.warnings().accept("a receiver did not stop; guest memory left mapped");
            }
        }
        counters.endNs.set(System.nanoTime());
        status = outcome;
        result.complete(new MigrationResult(outcome, verified, null == cause ? ErrorCode.NONE : cause.code(),
            null == cause ? null : cause.getMessage(), stats(), null == cause ? received : null));
    }

    private void tellPeer(final MainChannel channel, final FerryException cause) {
        final var closer = Watchdog.closeAfter(channel.connection(), CLOSE_GRACE_MS);
        try {
            channel.sendStatus(cause.code() == ErrorCode.CANCELLED ? MessageFlyweight.CANCEL : MessageFlyweight.ERROR,
                cause.code().id(), 0, cause.getMessage());
            failureFromPeer = true;
        } catch (final IOException | RuntimeException ignore) {
            // the source may be gone; the outcome stands.
        } finally {
            closer.cancel(false);
        }
    }

    /** Stops a digest still reading memory and waits for it: memory is never unmapped under a reader. */
    private boolean stopDigest() {
        final Thread thread = digestThread;
        if (null == thread) {
            return true;
        }
        stopDigest.set(true);
        try {
            thread.join(CLOSE_GRACE_MS * 5);
        } catch (final InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
        return !thread.isAlive();
    }

    private boolean joinReceivers() {
        final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(CLOSE_GRACE_MS * 5);
        boolean all = true;
        for (final Thread thread : receiverThreads) {
            if (thread == Thread.currentThread()) {
                continue;
            }
            try {
                thread.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadlineNs - System.nanoTime())));
            } catch (final InterruptedException ex) {
                Thread.currentThread().interrupt();
                return false;
            }
            all &= !thread.isAlive();
        }
        return all;
    }

    private static void closeQuietly(final java.io.Closeable closeable) {
        try {
            if (null != closeable) {
                closeable.close();
            }
        } catch (final IOException ignore) {
            // closing is best effort here.
        }
    }

    /** Writes the latency histograms recorded so far as an HdrHistogram log. */
    public void writeHistogramLog(final java.io.OutputStream out) {
        counters.writeHistogramLog(out);
    }

    public MigrationStats stats() {
        final long endNs = counters.endNs.get() != 0 ? counters.endNs.get() : System.nanoTime();
        final long startNs = setupStartNs == 0 ? counters.startNs : setupStartNs;
        final long totalNs = Math.max(1, endNs - startNs);
        final long setupNs = counters.setupDoneNs.get() == 0 ? 0 : counters.setupDoneNs.get() - startNs;
        final int channels = channelCount;
        final MainChannel channel = main;
        long transferred = null == channel ? 0 : channel.connection().bytesRead();
        final List<Long> channelBytes = new ArrayList<>();
        for (int c = 0; c < channels; c++) {
            channelBytes.add(counters.channelBytes(c));
            transferred += counters.channelBytes(c);
        }
        final GuestMemory received = memory;
        final FerryException cause = failure.get();
        return new MigrationStats("destination", status.jsonName(), TimeUnit.NANOSECONDS.toMillis(totalNs),
            TimeUnit.NANOSECONDS.toMillis(setupNs), downtimeMs, -1,
            verifyNs < 0 ? -1 : TimeUnit.NANOSECONDS.toMillis(verifyNs), transferred, 0,
            (long)(transferred * 1e9 / totalNs), null == received ? 0 : received.totalBytes(), counters.normalPages(),
            counters.zeroPages(), counters.rounds.get(), 0, 0, channels, channelBytes, counters.packetLatency(),
            counters.barrierLatency(), counters.bitmapSync(), verified, null == cause ? null : cause.getMessage(),
            null == cause ? null : cause.code().name());
    }
}
