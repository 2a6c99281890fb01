package dev.ferry.engine.source;

import dev.ferry.engine.Compression;
import dev.ferry.engine.channel.Connection;
import dev.ferry.engine.channel.SyncBarrier;
import dev.ferry.engine.protocol.PacketHeaderFlyweight;
import dev.ferry.engine.protocol.Protocol;
import dev.ferry.engine.stats.Counters;
import dev.ferry.engine.stats.LatencyHistograms;
import dev.ferry.memory.GuestMemory;
import dev.ferry.memory.RamBlock;
import dev.ferry.memory.internal.PageViews;
import dev.ferry.memory.internal.Pages;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentTerminationException;
import org.jctools.queues.SpscArrayQueue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.BooleanSupplier;

/**
 * One channel's sender: the single consumer of its work queue. Per packet it sorts zero pages from normal ones
 * (zero detection lives here, off the migration thread), writes the header, the offsets and the normal pages in one
 * gathering write whose page buffers are views of the mapped guest memory, and returns the packet to the free queue.
 * It runs as an Agrona {@link Agent} under an {@code AgentRunner}: each duty cycle writes at most
 * {@link #PACKETS_PER_CYCLE} packets and returns how many, so the runner's idle strategy backs off when there is none.
 * After writing a SYNC it arrives at the {@code syncWritten} barrier: that is how the migration thread learns this
 * channel's SYNC is on the wire (reason one to wait on a channel). The CLOSE command is reason two: when it is taken,
 * everything queued before it has been written, so the channel is drained and may be torn down.
 */
final class ChannelSender implements Agent {
    /** Most packets written in one duty cycle. */
    static final int PACKETS_PER_CYCLE = 16;

    private final int index;
    /**
     * Its data channel, {@link #attach attached} once connected: the sender is made and its thread started while the
     * channels are still being dialed. Written by the conductor before it queues the first packet, read by the
     * sender only for a packet it polled: the queue's release and acquire order the two.
     */
    private Connection connection;
    private final GuestMemory memory;
    private final SyncBarrier syncWritten;
    private final Counters.ChannelCounters counters;
    private final LatencyHistograms latency;
    private final BiConsumer<Integer, Throwable> onFailure;
    private final BandwidthLimiter limiter;
    private final BooleanSupplier isRunning;
    private final SpscArrayQueue<Packet> queue;
    private final SpscArrayQueue<Packet> free;
    private final CountDownLatch drained = new CountDownLatch(1);
    private final PacketHeaderFlyweight header = new PacketHeaderFlyweight();
    private final ByteBuffer[] iov = new ByteBuffer[1 + Protocol.MAX_PAGES_PER_PACKET];
    private final String roleName;
    private final Compression compression;
    private final int compressionLevel;
    private PacketCompressor compressor;
    private PageViews views;
    private int sequence;
    private volatile boolean running = true;
    private volatile long lastSyncRound = -1;

    ChannelSender(
        final int index, final GuestMemory memory, final int queueCapacity,
        final SyncBarrier syncWritten, final Counters counters, final BandwidthLimiter limiter,
        final Compression compression, final int compressionLevel, final BiConsumer<Integer, Throwable> onFailure) {
        this.limiter = limiter;
        this.compression = compression;
        this.compressionLevel = compressionLevel;
        this.isRunning = () -> running;
        this.index = index;
        this.memory = memory;
        this.syncWritten = syncWritten;
        this.counters = counters.channel(index);
        this.latency = counters.latency();
        this.roleName = "ferry-sender-" + index;
        this.onFailure = onFailure;
        this.queue = new SpscArrayQueue<>(queueCapacity);
        this.free = new SpscArrayQueue<>(queueCapacity);
        for (int i = 0; i < queueCapacity; i++) {
            free.offer(new Packet());
        }
    }

    int index() {
        return index;
    }

    /** The data channel this sender writes, before the conductor queues anything for it. */
    ChannelSender attach(final Connection channel) {
        this.connection = channel;
        return this;
    }

    /** Its data channel, or null before {@link #attach}. */
    Connection connection() {
        return connection;
    }

    /** Closes its data channel, if it has one (a set-up that failed may end before the channels connected). */
    void closeConnection() {
        final Connection channel = connection;
        if (null != channel) {
            channel.close();
        }
    }

    /** Work queued and not yet taken: the migration thread's load measure. */
    int queued() {
        return queue.size();
    }

    SpscArrayQueue<Packet> queue() {
        return queue;
    }

    SpscArrayQueue<Packet> free() {
        return free;
    }

    /** The last round whose SYNC this sender wrote. */
    long lastSyncRound() {
        return lastSyncRound;
    }

    /** Waits until every packet queued before CLOSE is written: the channel has nothing pending. */
    boolean awaitDrained(final long timeoutMs) throws InterruptedException {
        return drained.await(timeoutMs, TimeUnit.MILLISECONDS);
    }

    void stop() {
        running = false;
    }

    @Override
    public String roleName() {
        return roleName;
    }

    @Override
    public void onStart() {
        views = new PageViews(memory, iov.length);
        if (compression != Compression.NONE) {
            compressor = new PacketCompressor(compression, compressionLevel, memory.pageSizeBytes(), iov.length);
        }
    }

    @Override
    public void onClose() {
        if (null != compressor) {
            compressor.close();
        }
    }

    /** Writes up to {@link #PACKETS_PER_CYCLE} queued packets; ends the agent after CLOSE or a failure. */
    @Override
    public int doWork() {
        if (!running) {
            throw new AgentTerminationException("stopped");
        }
        int work = 0;
        try {
            Packet packet;
            while (work < PACKETS_PER_CYCLE && null != (packet = queue.poll())) {
                work++;
                if (send(packet)) {
                    drained.countDown();
                    throw new AgentTerminationException("drained");
                }
            }
        } catch (final AgentTerminationException ex) {
            throw ex;
        } catch (final Throwable ex) {
            if (running) {
                running = false;
                onFailure.accept(index, ex);
            }
            throw new AgentTerminationException(ex);
        }
        return work;
    }

    /** Writes one packet and returns it to the pool; true if it was CLOSE. */
    private boolean send(final Packet packet) throws IOException {
        final int type = packet.type;
        if (type == Packet.DATA) {
            sendData(packet);
        } else if (type == Packet.SYNC) {
            sendSync(packet);
        }
        free.offer(packet);
        return type == Packet.CLOSE;
    }

    private void sendData(final Packet packet) throws IOException {
        final RamBlock block = memory.block(packet.blockId);
        final long[] pages = packet.pages;
        final int normal = separateZeroPages(views, packet);
        final int zero = packet.pageCount - normal;
        final int shift = block.pageShift();
        final int pageCount = packet.pageCount;
        header.wrap(packet.headerBuffer);
        writeOffsets(pages, normal, packet.zeroPages, zero, shift);
        int buffers = null != compressor && normal > 0 ?
            compressor.compress(block, pages, normal, pageCount, header, iov, views) : -1;
        final int flags;
        final int prefix;
        final long payload;
        if (buffers > 0) {
            flags = PacketHeaderFlyweight.COMPRESSED_FLAG;
            prefix = PacketHeaderFlyweight.compressedPrefixLength(pageCount, compressor.frames());
            payload = compressor.payloadLength();
        } else {
            flags = 0;
            prefix = PacketHeaderFlyweight.headerAndOffsetsLength(pageCount);
            payload = (long)normal << shift;
            buffers = views.runs(packet.blockId, pages, normal, iov, 1);
        }
        header.header(flags, packet.blockId, packet.round, sequence++, normal, zero, (int)payload);
        packet.header.clear().limit(prefix);
        iov[0] = packet.header;
        limiter.acquire(prefix + payload, isRunning);
        final long startNs = System.nanoTime();
        final long bytes = connection.writeFully(iov, 0, buffers);
        latency.recordPacketLatency(System.nanoTime() - startNs);
        counters.add(bytes, normal, zero);
        if (null != compressor) {
            counters.addPayload((long)normal << shift, payload, compressor.takeNanos());
        }
    }

    /*
     * The per-page loops live in methods of their own, called once a packet: sendData itself then has no loop for the
     * JIT to replace on the stack, so the compiler does not recompile it over and over during a migration
     * (docs/benchmarks.md, "Measurements behind the code").
     */

    /**
     * Moves the zero pages of {@code packet} to its zeroPages, keeps the others in order; returns their count. Each
     * page is tested through a view in slot 0, which the payload's views never use (iov[0] is the header).
     */
    private static int separateZeroPages(final PageViews views, final Packet packet) {
        final int blockId = packet.blockId;
        final long[] pages = packet.pages;
        final long[] zeroPages = packet.zeroPages;
        int normal = 0;
        int zero = 0;
        for (int i = 0, count = packet.pageCount; i < count; i++) {
            final long page = pages[i];
            if (Pages.isZero(views.page(blockId, page, 0))) {
                zeroPages[zero++] = page;
            } else {
                pages[normal++] = page;
            }
        }
        return normal;
    }

    /** The header's page offsets: the normal pages, then the zero pages. */
    private void writeOffsets(final long[] pages, final int normal, final long[] zeroPages, final int zero,
        final int shift) {
        for (int i = 0; i < normal; i++) {
            header.pageOffset(i, pages[i] << shift);
        }
        for (int i = 0; i < zero; i++) {
            header.pageOffset(normal + i, zeroPages[i] << shift);
        }
    }

    private void sendSync(final Packet packet) throws IOException {
        header.wrap(packet.headerBuffer)
            .header(PacketHeaderFlyweight.SYNC_FLAG, 0, packet.round, sequence++, 0, 0, 0);
        packet.header.clear().limit(PacketHeaderFlyweight.HEADER_LENGTH);
        connection.writeFully(packet.header);
        counters.add(PacketHeaderFlyweight.HEADER_LENGTH, 0, 0);
        lastSyncRound = packet.round;
        syncWritten.arrive();
    }
}
