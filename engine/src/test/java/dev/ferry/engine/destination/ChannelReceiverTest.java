package dev.ferry.engine.destination;

import dev.ferry.engine.Compression;
import dev.ferry.engine.ErrorCode;
import dev.ferry.engine.FerryException;
import dev.ferry.engine.MemoryFactory;
import dev.ferry.engine.channel.Connection;
import dev.ferry.engine.channel.TestMessages;
import dev.ferry.engine.protocol.PacketHeaderFlyweight;
import dev.ferry.engine.protocol.Protocol;
import dev.ferry.engine.stats.Counters;
import dev.ferry.engine.stats.CountersFile;
import dev.ferry.memory.DirtyBitmap;
import dev.ferry.memory.GuestMemory;
import dev.ferry.memory.RamBlock;
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
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One {@link ChannelReceiver} stepped alone: the test is the source (it writes packets by hand into a loopback
 * socket) and the conductor (a {@link ReceiverHost} that records what the receiver asked of it). Each case is one
 * order of events a receiver must survive: pages, a SYNC, the source's close before and after COMPLETE, a bad
 * field, a conductor that ends the migration while the receiver waits at SYNC.
 */
@Timeout(20)
final class ChannelReceiverTest {
    private static final int PAGE = 4096;

    private final RecordingHost host = new RecordingHost();
    private GuestMemory memory;
    private Counters counters;
    private SocketChannel source;
    private Connection connection;
    private int sequence;

    @BeforeEach
    void connect() throws IOException {
        memory = GuestMemory.of(RamBlock.anonymous(0, "ram", 16 * PAGE, PAGE));
        counters = new Counters(CountersFile.inMemory("destination", Counters.capacity(1)));
        counters.channels(1);
        final SocketChannel[] pair = TestMessages.loopbackPair();
        source = pair[0];
        connection = new Connection(pair[1], "data channel 0");
    }

    @AfterEach
    void close() throws IOException {
        source.close();
        connection.close();
        memory.close();
        counters.close();
    }

    @Test
    void pagesLandAtTheirOffsetsAndASyncArrivesAtTheBarrier() throws Exception {
        final byte[] first = page(1);
        final byte[] second = page(2);
        write(packet(0, 0, new long[] {3 * PAGE, 7 * PAGE}, first, second));
        write(sync(0));
        host.completeAtSync = true; // COMPLETE follows the round's FLUSH: the source's close after it is orderly
        source.shutdownOutput();
        receiver().run();
        assertEquals(List.of("sync 0 round 0"), host.calls);
        assertArrayEquals(first, read(3));
        assertArrayEquals(second, read(7));
        assertEquals(2, counters.normalPages());
    }

    @Test
    void theSourceClosingBeforeCompleteIsALostChannel() throws Exception {
        write(packet(0, 0, new long[] {0}, page(5)));
        source.shutdownOutput();
        receiver().run();
        assertEquals(List.of("lost 0 closed by the source before COMPLETE"), host.calls);
    }

    @Test
    void aPageOutsideTheBlockFailsTheMigrationAndWritesNothing() throws Exception {
        write(packet(0, 0, new long[] {0, 16 * PAGE}, page(1), page(2)));
        receiver().run();
        assertEquals(1, host.failures.size(), host.calls.toString());
        assertEquals(ErrorCode.PROTOCOL_VIOLATION, host.failures.get(0).code());
        assertTrue(host.failures.get(0).getMessage().startsWith("data channel 0: "), host.failures.get(0).getMessage());
        assertArrayEquals(new byte[PAGE], read(0), "nothing is written before every offset is checked");
    }

    @Test
    void aRoundFromTheFutureIsRefused() throws Exception {
        write(packet(1, 0, new long[] {0}, page(1)));
        receiver().run();
        assertEquals(ErrorCode.PROTOCOL_VIOLATION, host.failures.get(0).code(), host.calls.toString());
    }

    @Test
    void aMigrationEndedAtTheBarrierStopsTheReceiverWithoutAWord() throws Exception {
        host.releaseSync = false;
        write(sync(0));
        write(packet(1, 1, new long[] {0}, page(9)));
        receiver().run();
        assertEquals(List.of("sync 0 round 0"), host.calls);
        assertArrayEquals(new byte[PAGE], read(0), "nothing after the barrier the migration ended at");
    }

    @Test
    void aConductorThatFinishedStopsTheReceiverAfterItsPacket() throws Exception {
        write(packet(0, 0, new long[] {PAGE}, page(4)));
        write(packet(0, 1, new long[] {2 * PAGE}, page(6)));
        host.finishAfterPackets = 1;
        receiver().run();
        assertArrayEquals(page(4), read(1));
        assertArrayEquals(new byte[PAGE], read(2), "the receiver stopped after the packet it was on");
        assertEquals(List.of(), host.calls);
    }

    private ChannelReceiver receiver() {
        final DirtyBitmap[] written = new DirtyBitmap[Protocol.MAX_BLOCKS];
        written[0] = new DirtyBitmap(16);
        final SessionSetup session = new SessionSetup("guest", MemoryFactory.anonymous(), memory, written, false,
            Compression.NONE);
        return new ChannelReceiver(host, 0, connection, session, counters, null);
    }

    private ByteBuffer packet(final int round, final int blockId, final long[] offsets, final byte[]... pages) {
        final int prefix = PacketHeaderFlyweight.headerAndOffsetsLength(offsets.length);
        final ByteBuffer bytes = ByteBuffer.allocate(prefix + pages.length * PAGE).order(Protocol.BYTE_ORDER);
        final PacketHeaderFlyweight header = new PacketHeaderFlyweight().wrap(new UnsafeBuffer(bytes.array()));
        header.header(0, blockId, round, sequence++, pages.length, 0, pages.length * PAGE);
        for (int i = 0; i < offsets.length; i++) {
            header.pageOffset(i, offsets[i]);
        }
        bytes.position(prefix);
        for (final byte[] page : pages) {
            bytes.put(page);
        }
        return bytes.flip();
    }

    private ByteBuffer sync(final int round) {
        final ByteBuffer bytes = ByteBuffer.allocate(PacketHeaderFlyweight.HEADER_LENGTH).order(Protocol.BYTE_ORDER);
        new PacketHeaderFlyweight().wrap(new UnsafeBuffer(bytes.array()))
            .header(PacketHeaderFlyweight.SYNC_FLAG, 0, round, sequence++, 0, 0, 0);
        return bytes;
    }

    private void write(final ByteBuffer bytes) throws IOException {
        while (bytes.hasRemaining()) {
            source.write(bytes);
        }
    }

    private static byte[] page(final int fill) {
        final byte[] page = new byte[PAGE];
        Arrays.fill(page, (byte)fill);
        page[0] = (byte)(fill + 100);
        return page;
    }

    private byte[] read(final int page) {
        final byte[] bytes = new byte[PAGE];
        memory.block(0).window(0).getBytes(page * PAGE, bytes);
        return bytes;
    }

    /** A conductor that records every call, releases SYNC unless told not to, and may finish after N packets. */
    private static final class RecordingHost implements ReceiverHost {
        final List<String> calls = new ArrayList<>();
        final List<FerryException> failures = new ArrayList<>();
        volatile boolean complete;
        volatile boolean completeAtSync;
        volatile boolean releaseSync = true;
        volatile int finishAfterPackets = -1;
        private int packets;

        @Override
        public boolean isFinished() {
            return finishAfterPackets >= 0 && ++packets >= finishAfterPackets;
        }

        @Override
        public boolean isCompleteReceived() {
            return complete;
        }

        @Override
        public boolean arriveAtSync(final int channel, final long round) {
            calls.add("sync " + channel + " round " + round);
            complete = completeAtSync;
            return releaseSync;
        }

        @Override
        public void fail(final FerryException cause) {
            calls.add("fail " + cause.getMessage());
            failures.add(cause);
        }

        @Override
        public void channelLost(final int channel, final String reason) {
            calls.add("lost " + channel + " " + reason);
        }
    }
}
