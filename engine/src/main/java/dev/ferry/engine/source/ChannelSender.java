package dev.ferry.engine.source;

import dev.ferry.engine.channel.Connection;
import dev.ferry.engine.protocol.PacketHeaderFlyweight;
import dev.ferry.engine.stats.Counters;
import dev.ferry.memory.GuestMemory;
import dev.ferry.memory.PageViews;
import dev.ferry.memory.Pages;
import dev.ferry.memory.RamBlock;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.jctools.queues.SpscArrayQueue;

import java.nio.ByteBuffer;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Phaser;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;

/**
 * One channel's sender: the single consumer of its work queue. Per packet it sorts zero pages from normal ones
 * (zero detection lives here, off the migration thread), writes the header, the offsets and the normal pages in one
 * gathering write whose page buffers are views of the mapped guest memory, and returns the packet to the free queue.
 * After writing a SYNC it arrives at the {@code syncWritten} phaser: that is how the migration thread learns this
 * channel's SYNC is on the wire (reason one to wait on a channel). The CLOSE command is reason two: when it is taken,
 * everything queued before it has been written, so the channel is drained and may be torn down.
 */
final class ChannelSender implements Runnable {
    private final int index;
    private final Connection connection;
    private final GuestMemory memory;
    private final Phaser syncWritten;
    private final Counters counters;
    private final BiConsumer<Integer, Throwable> onFailure;
    private final SpscArrayQueue<Packet> queue;
    private final SpscArrayQueue<Packet> free;
    private final CountDownLatch drained = new CountDownLatch(1);
    private final PacketHeaderFlyweight header = new PacketHeaderFlyweight();
    private final ByteBuffer[] iov = new ByteBuffer[1 + dev.ferry.engine.protocol.Protocol.MAX_PAGES_PER_PACKET];
    private PageViews views;
    private int sequence;
    private volatile boolean running = true;
    private volatile long lastSyncRound = -1;

    ChannelSender(
        final int index, final Connection connection, final GuestMemory memory, final int queueCapacity,
        final Phaser syncWritten, final Counters counters, final BiConsumer<Integer, Throwable> onFailure) {
        this.index = index;
        this.connection = connection;
        this.memory = memory;
        this.syncWritten = syncWritten;
        this.counters = counters;
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

    Connection connection() {
        return connection;
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
    public void run() {
        views = new PageViews(memory, iov.length);
        final IdleStrategy idle = new BackoffIdleStrategy(64, 16, 1_000, 1_000_000);
        try {
            while (running) {
                final Packet packet = queue.poll();
                if (null == packet) {
                    idle.idle();
                    continue;
                }
                idle.reset();
                final int type = packet.type;
                if (type == Packet.DATA) {
                    sendData(packet);
                } else if (type == Packet.SYNC) {
                    sendSync(packet);
                }
                free.offer(packet);
                if (type == Packet.CLOSE) {
                    drained.countDown();
                    return;
                }
            }
        } catch (final Throwable ex) {
            if (running) {
                onFailure.accept(index, ex);
            }
        }
    }

    private void sendData(final Packet packet) throws java.io.IOException {
        final RamBlock block = memory.block(packet.blockId);
        final long[] pages = packet.pages;
        final long[] zeroPages = packet.zeroPages;
        int normal = 0;
        int zero = 0;
        for (int i = 0, count = packet.pageCount; i < count; i++) {
            final long page = pages[i];
            if (Pages.isZero(block, page)) {
                zeroPages[zero++] = page;
            } else {
                pages[normal++] = page;
            }
        }
        final int shift = block.pageShift();
        header.wrap(packet.headerBuffer)
            .header(0, packet.blockId, packet.round, sequence++, normal, zero, normal << shift);
        for (int i = 0; i < normal; i++) {
            header.pageOffset(i, pages[i] << shift);
            iov[1 + i] = views.page(packet.blockId, pages[i], i);
        }
        for (int i = 0; i < zero; i++) {
            header.pageOffset(normal + i, zeroPages[i] << shift);
        }
        packet.header.clear().limit(PacketHeaderFlyweight.headerAndOffsetsLength(normal + zero));
        iov[0] = packet.header;
        final long startNs = System.nanoTime();
        final long bytes = connection.writeFully(iov, 0, 1 + normal);
        counters.recordPacketLatency(System.nanoTime() - startNs);
        counters.addChannel(index, bytes, normal, zero);
    }

    private void sendSync(final Packet packet) throws java.io.IOException {
        header.wrap(packet.headerBuffer)
            .header(PacketHeaderFlyweight.SYNC_FLAG, 0, packet.round, sequence++, 0, 0, 0);
        packet.header.clear().limit(PacketHeaderFlyweight.HEADER_LENGTH);
        connection.writeFully(packet.header);
        counters.addChannel(index, PacketHeaderFlyweight.HEADER_LENGTH, 0, 0);
        lastSyncRound = packet.round;
        syncWritten.arrive();
    }
}
