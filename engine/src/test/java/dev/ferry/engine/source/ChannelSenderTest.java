package dev.ferry.engine.source;

import dev.ferry.engine.Compression;
import dev.ferry.engine.channel.Connection;
import dev.ferry.engine.channel.SyncBarrier;
import dev.ferry.engine.channel.TestMessages;
import dev.ferry.engine.protocol.PacketHeaderFlyweight;
import dev.ferry.engine.protocol.Protocol;
import dev.ferry.engine.stats.Counters;
import dev.ferry.engine.stats.CountersFile;
import dev.ferry.memory.GuestMemory;
import dev.ferry.memory.RamBlock;
import org.agrona.concurrent.AgentTerminationException;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One {@link ChannelSender} stepped alone: the test queues packets as the round scheduler does, calls
 * {@link ChannelSender#doWork()} on its own thread as the agent runner would, and reads the other end of a loopback
 * socket as the destination. The failure orders: the peer gone mid-round, a stop before the next packet.
 */
@Timeout(20)
final class ChannelSenderTest {
    private static final int PAGE = 4096;

    private final List<String> failures = new ArrayList<>();
    private GuestMemory memory;
    private Counters counters;
    private SocketChannel destination;
    private ChannelSender sender;
    private SyncBarrier barrier;

    @BeforeEach
    void connect() throws IOException {
        memory = GuestMemory.of(RamBlock.anonymous(0, "ram", 16 * PAGE, PAGE));
        counters = new Counters(CountersFile.inMemory("source", Counters.capacity(1)));
        counters.channels(1);
        barrier = new SyncBarrier(1, 1_000);
        final SocketChannel[] pair = TestMessages.loopbackPair();
        destination = pair[1];
        sender = new ChannelSender(0, memory, 8, barrier, counters, new BandwidthLimiter(0), Compression.NONE, 0,
            (channel, cause) -> failures.add(channel + ": " + cause.getMessage()))
            .attach(new Connection(pair[0], "data channel 0"));
        sender.onStart();
    }

    @AfterEach
    void close() throws IOException {
        sender.onClose();
        sender.connection().close();
        destination.close();
        memory.close();
        counters.close();
    }

    @Test
    void aPacketCarriesItsNormalPagesAndNamesItsZeroPages() throws Exception {
        final byte[] page = page(7);
        memory.block(0).window(0).putBytes(5 * PAGE, page);
        queueData(0, 2, 5, 9);
        assertEquals(1, sender.doWork());
        final ByteBuffer header = read(PacketHeaderFlyweight.headerAndOffsetsLength(3));
        final PacketHeaderFlyweight packet = new PacketHeaderFlyweight().wrap(new UnsafeBuffer(header));
        assertEquals(Protocol.PACKET_MAGIC, packet.magic());
        assertEquals(0, packet.flags());
        assertEquals(1, packet.normalCount());
        assertEquals(2, packet.zeroCount());
        assertEquals(PAGE, packet.payloadLength());
        assertEquals(5L * PAGE, packet.pageOffset(0), "the normal page first");
        assertEquals(2L * PAGE, packet.pageOffset(1));
        assertEquals(9L * PAGE, packet.pageOffset(2));
        assertArrayEquals(page, read(PAGE).array());
        assertEquals(1, counters.normalPages());
        assertEquals(2, counters.zeroPages());
    }

    @Test
    void aSyncIsWrittenThenTheSenderArrivesAtTheBarrierAndCloseDrains() throws Exception {
        queueData(0, 1);
        sender.queue().offer(sender.free().poll().control(Packet.SYNC, 0));
        assertEquals(2, sender.doWork());
        read(PacketHeaderFlyweight.headerAndOffsetsLength(1));
        final PacketHeaderFlyweight sync = new PacketHeaderFlyweight()
            .wrap(new UnsafeBuffer(read(PacketHeaderFlyweight.HEADER_LENGTH)));
        assertEquals(PacketHeaderFlyweight.SYNC_FLAG, sync.flags());
        assertEquals(1, sync.sequence(), "sequences count every packet of the channel");
        assertEquals(0, sender.lastSyncRound());
        assertEquals(SyncBarrier.Outcome.RELEASED, barrier.arriveAndAwait(0, "the test"),
            "the sender had arrived: the test's arrival opens the barrier");
        sender.queue().offer(sender.free().poll().control(Packet.CLOSE, 1));
        assertThrows(AgentTerminationException.class, sender::doWork);
        assertTrue(sender.awaitDrained(0));
        assertEquals(List.of(), failures);
    }

    @Test
    void aPeerGoneMidRoundIsReportedOnceAndEndsTheSender() throws Exception {
        destination.close();
        final AgentTerminationException ended = assertThrows(AgentTerminationException.class, () -> {
            for (int i = 0; i < 10_000; i++) { // the first writes may still land in the socket's buffer
                queueData(0, 1, 2, 3);
                sender.doWork();
            }
        });
        assertEquals(1, failures.size(), failures.toString());
        assertTrue(failures.get(0).startsWith("0: "), failures.toString());
        assertTrue(ended.getCause() instanceof IOException, String.valueOf(ended.getCause()));
        assertThrows(AgentTerminationException.class, sender::doWork, "a failed sender stays ended");
        assertEquals(1, failures.size(), "reported once");
    }

    @Test
    void aStoppedSenderWritesNothingMore() throws Exception {
        queueData(0, 1);
        sender.stop();
        assertThrows(AgentTerminationException.class, sender::doWork);
        destination.configureBlocking(false);
        assertEquals(0, destination.read(ByteBuffer.allocate(16)));
        assertFalse(sender.awaitDrained(0));
        assertEquals(List.of(), failures);
    }

    private void queueData(final int round, final long... pages) {
        final Packet packet = sender.free().poll().data(0, round);
        for (final long page : pages) {
            packet.pages[packet.pageCount++] = page;
        }
        sender.queue().offer(packet);
    }

    private ByteBuffer read(final int length) throws IOException {
        final ByteBuffer bytes = ByteBuffer.allocate(length).order(Protocol.BYTE_ORDER);
        while (bytes.hasRemaining()) {
            if (destination.read(bytes) < 0) {
                throw new IOException("end of stream after " + bytes.position() + " bytes");
            }
        }
        return bytes.flip();
    }

    private static byte[] page(final int fill) {
        final byte[] page = new byte[PAGE];
        Arrays.fill(page, (byte)fill);
        return page;
    }
}
