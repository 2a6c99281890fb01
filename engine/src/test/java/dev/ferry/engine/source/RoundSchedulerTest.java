package dev.ferry.engine.source;

import dev.ferry.engine.Compression;
import dev.ferry.engine.FerryException;
import dev.ferry.engine.channel.Connection;
import dev.ferry.engine.channel.SyncBarrier;
import dev.ferry.engine.protocol.Protocol;
import dev.ferry.engine.stats.Counters;
import dev.ferry.engine.stats.CountersFile;
import dev.ferry.memory.BlockSpec;
import dev.ferry.memory.GuestMemory;
import org.agrona.concurrent.BusySpinIdleStrategy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The round scheduler on its own: the senders' queues are drained by the test instead of sender threads, so what
 * the scheduler queued can be read packet by packet.
 */
final class RoundSchedulerTest {
    private static final List<BlockSpec> SPECS = List.of(new BlockSpec(0, "pc.ram", 1000L * 4096),
        new BlockSpec(3, "vga", 40L * 4096));

    private GuestMemory memory;
    private Counters counters;
    private final List<ChannelSender> senders = new ArrayList<>();
    private RoundScheduler scheduler;

    @BeforeEach
    void open() throws Exception {
        memory = GuestMemory.anonymous(SPECS, 4096);
        counters = new Counters(CountersFile.inMemory("source", Counters.capacity(2)));
        counters.channels(2);
        final SyncBarrier barrier = new SyncBarrier(2, 1_000);
        for (int c = 0; c < 2; c++) {
            senders.add(new ChannelSender(c, memory, 64, barrier, counters, new BandwidthLimiter(0), Compression.NONE, 0,
                (index, cause) -> { }).attach(new Connection(SocketChannel.open(), "unconnected " + c)));
        }
        scheduler = new RoundScheduler(memory, senders, barrier, counters, new BusySpinIdleStrategy(),
            new RoundScheduler.FailureCheck() {
                @Override
                public void check() {
                }

                @Override
                public FerryException awaitCause() {
                    throw new AssertionError("the barrier is not used here");
                }
            });
    }

    @AfterEach
    void close() {
        senders.forEach(sender -> sender.connection().close());
        counters.close();
        memory.close();
    }

    /** Drains both queues; returns block id -> page -> times queued, checking every packet's shape. */
    private Map<Integer, Map<Long, Integer>> drain(final int round, final int[] packetsPerChannel) {
        final Map<Integer, Map<Long, Integer>> queued = new HashMap<>();
        for (final ChannelSender sender : senders) {
            Packet packet;
            while (null != (packet = sender.queue().poll())) {
                assertEquals(Packet.DATA, packet.type);
                assertEquals(round, packet.round);
                assertTrue(packet.pageCount >= 1 && packet.pageCount <= Protocol.MAX_PAGES_PER_PACKET);
                for (int i = 0; i < packet.pageCount; i++) {
                    queued.computeIfAbsent(packet.blockId, b -> new HashMap<>()).merge(packet.pages[i], 1, Integer::sum);
                }
                packetsPerChannel[sender.index()]++;
                sender.free().offer(packet);
            }
        }
        return queued;
    }

    @Test
    void roundZeroQueuesEveryPageOnceInPacketsOfOneBlockSpreadOverTheChannels() {
        scheduler.harvest(0);
        assertEquals(1040L * 4096, counters.remainingBytes());
        // 1000 pages = 3 full packets of 256 + 232; 40 pages = 1 packet: 5 packets, fewer than the 2 x 64 in the pools.
        scheduler.sendRound(0, () -> false);
        final int[] packets = new int[2];
        final Map<Integer, Map<Long, Integer>> queued = drain(0, packets);
        assertEquals(1000, queued.get(0).size());
        assertEquals(40, queued.get(3).size());
        assertTrue(queued.values().stream().flatMap(m -> m.values().stream()).allMatch(n -> n == 1), "once each");
        final int most = Protocol.MAX_PAGES_PER_PACKET;
        assertEquals((1000 + most - 1) / most + (40 + most - 1) / most, packets[0] + packets[1]);
        assertTrue(Math.abs(packets[0] - packets[1]) <= 1, "least loaded, ties round robin: " + packets[0] + "/" +
            packets[1]);
        assertEquals(0, counters.remainingBytes());
    }

    @Test
    void laterRoundsQueueOnlyWhatWasDirtiedAndNothingTwice() {
        scheduler.harvest(0);
        scheduler.sendRound(0, () -> false);
        drain(0, new int[2]);
        memory.block(0).dirtyBitmap().markDirty(5);
        memory.block(0).dirtyBitmap().markDirty(999);
        memory.block(3).dirtyBitmap().markDirty(39);
        memory.block(0).dirtyBitmap().markDirty(5);
        assertEquals(3L * 4096, scheduler.dirtyBytes());
        scheduler.harvest(1);
        assertEquals(0, scheduler.dirtyBytes(), "the harvest moved the bits into the own bitmaps");
        scheduler.sendRound(1, () -> false);
        final Map<Integer, Map<Long, Integer>> queued = drain(1, new int[2]);
        assertEquals(Map.of(5L, 1, 999L, 1), queued.get(0));
        assertEquals(Map.of(39L, 1), queued.get(3));
        assertEquals(2, counters.rounds());
    }
}
