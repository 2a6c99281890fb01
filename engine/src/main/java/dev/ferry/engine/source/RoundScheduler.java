package dev.ferry.engine.source;

import dev.ferry.engine.ErrorCode;
import dev.ferry.engine.FerryException;
import dev.ferry.engine.channel.MainChannel;
import dev.ferry.engine.channel.SyncBarrier;
import dev.ferry.engine.protocol.FlushFlyweight;
import dev.ferry.engine.protocol.MessageFlyweight;
import dev.ferry.engine.stats.Counters;
import dev.ferry.engine.stats.FlightEvents;
import dev.ferry.memory.GuestMemory;
import dev.ferry.memory.PageBitmap;
import dev.ferry.memory.RamBlock;
import org.agrona.concurrent.IdleStrategy;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * The rounds, on the conductor's thread (the single producer of every channel's queue): harvest the shared dirty
 * bits into the migration's own bitmaps, scan forward once, batch up to a packet's worth of pages of one block, hand
 * each packet to the least-loaded channel, and end the round with the SYNC/FLUSH barrier. Each page is queued at
 * most once per round: its own-bitmap bit is cleared as it is queued and the scan never moves back.
 */
final class RoundScheduler {
    /** How the scheduler learns, while it waits, that the migration failed: it throws the failure. */
    interface FailureCheck {
        /** Throws the migration's failure, if there is one by now. */
        void check();

        /** The barrier was terminated: waits for the failure that terminated it and throws it. */
        FerryException awaitCause();
    }

    private final GuestMemory memory;
    private final List<RamBlock> blocks;
    private final PageBitmap[] own;
    private final List<ChannelSender> senders;
    private final SyncBarrier barrier;
    private final Counters counters;
    private final IdleStrategy idle;
    private final FailureCheck failures;
    private final long barrierTimeoutMs;
    private final FlushFlyweight flush = new FlushFlyweight();
    private int nextSender;
    private long roundStartNs;
    private long roundBytesStart;

    RoundScheduler(
        final GuestMemory memory, final List<ChannelSender> senders, final SyncBarrier barrier, final Counters counters,
        final IdleStrategy idle, final FailureCheck failures) {
        this.memory = memory;
        this.blocks = memory.blocks();
        this.own = new PageBitmap[blocks.size()];
        for (int b = 0; b < blocks.size(); b++) {
            own[b] = new PageBitmap(blocks.get(b).pageCount());
        }
        this.senders = senders;
        this.barrier = barrier;
        this.counters = counters;
        this.idle = idle;
        this.failures = failures;
        this.barrierTimeoutMs = barrier.timeoutMs();
    }

    /**
     * Moves the shared dirty bits into the own bitmaps (round 0: every page) and starts the round's clock; returns
     * the pages harvested (round 0: every page).
     */
    long harvest(final int round) {
        final long startNs = System.nanoTime();
        long pages = 0;
        for (int b = 0; b < blocks.size(); b++) {
            pages += blocks.get(b).dirtyBitmap().syncAndClear(own[b]);
            if (round == 0) {
                own[b].setAll();
            }
        }
        counters.latency().recordBitmapSync(System.nanoTime() - startNs);
        if (round == 0) {
            pages = memory.pageCount();
        } else if (roundStartNs != 0) {
            counters.dirtyPagesRate(pages * 1_000_000_000L / Math.max(1, startNs - roundStartNs));
        }
        counters.remainingBytes(pages * memory.pageSizeBytes());
        counters.rounds(round + 1);
        roundStartNs = System.nanoTime();
        roundBytesStart = counters.channelBytes();
        return pages;
    }

    /**
     * Queues every page of this round once, or stops early, between packets, once {@code stop} says so (a forced
     * switchover): the pages not queued keep their bits in the own bitmaps, and the next harvest adds to them.
     */
    void sendRound(final int round, final BooleanSupplier stop) {
        for (int b = 0; b < blocks.size(); b++) {
            final PageBitmap bitmap = own[b];
            final int blockId = blocks.get(b).id();
            ChannelSender sender = null;
            Packet packet = null;
            for (long page = bitmap.nextSet(0); page >= 0; page = bitmap.nextSet(page + 1)) {
                if (null == packet) {
                    if (stop.getAsBoolean()) {
                        return;
                    }
                    sender = leastLoadedSender();
                    packet = takeFree(sender).data(blockId, round);
                }
                bitmap.clear(page);
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

    /**
     * Ends {@code round} as the seed says: a SYNC behind this round's pages on every channel; wait until every
     * sender has <em>written</em> its SYNC (the barrier); only then FLUSH on the main channel. Nothing of the next
     * round is queued before this returns.
     */
    void endRound(final int round, final MainChannel main) throws IOException {
        final long startNs = System.nanoTime();
        final FlightEvents.BarrierWait wait = FlightEvents.barrierWait();
        for (final ChannelSender sender : senders) {
            enqueue(sender, takeFree(sender).control(Packet.SYNC, round));
        }
        awaitSyncWritten(round);
        if (null != wait) {
            wait.end("source", round);
        }
        main.send(MessageFlyweight.FLUSH, (buffer, offset) -> {
            flush.wrap(buffer, offset, FlushFlyweight.LENGTH).round(round);
            return FlushFlyweight.LENGTH;
        });
        counters.latency().recordBarrierLatency(System.nanoTime() - startNs);
        counters.latency().endInterval();
    }

    private void awaitSyncWritten(final int round) {
        try {
            // Timed against the channels' writing, not from the SYNC's queueing: under a low cap the packets queued
            // ahead of it take longer than the timeout, and that is no stall.
            if (barrier.arriveAndAwait(round, "the source at the SYNC of round " + round, counters::channelBytes) ==
                SyncBarrier.Outcome.TERMINATED) {
                throw failures.awaitCause();
            }
        } catch (final FerryException ex) {
            if (ex.code() != ErrorCode.BARRIER_TIMEOUT) {
                throw ex;
            }
            failures.check();
            final StringBuilder late = new StringBuilder();
            for (final ChannelSender sender : senders) {
                if (sender.lastSyncRound() < round) {
                    late.append(late.length() == 0 ? "" : ", ").append(sender.index());
                }
            }
            throw new FerryException(ErrorCode.BARRIER_TIMEOUT, "channels [" + late + "] did not write the SYNC of" +
                " round " + round + ", and wrote nothing for " + barrierTimeoutMs + " ms");
        }
        failures.check();
    }

    /** Clean shutdown of the data channels: each drains what is queued (reason two to wait), then closes. */
    void closeChannels() throws InterruptedException {
        for (final ChannelSender sender : senders) {
            enqueue(sender, takeFree(sender).control(Packet.CLOSE, 0));
        }
        for (final ChannelSender sender : senders) {
            if (!sender.awaitDrained(barrierTimeoutMs)) {
                failures.check();
                throw new FerryException(ErrorCode.TIMEOUT, "data channel " + sender.index() + " did not drain within " +
                    barrierTimeoutMs + " ms");
            }
            sender.closeConnection();
        }
    }

    /** Bytes dirty in the shared bitmaps now. */
    long dirtyBytes() {
        long pages = 0;
        for (final RamBlock block : blocks) {
            pages += block.dirtyBitmap().cardinality();
        }
        return pages * memory.pageSizeBytes();
    }

    /** Bytes the data channels wrote since this round's harvest. */
    long roundBytes() {
        return counters.channelBytes() - roundBytesStart;
    }

    long roundNs() {
        return System.nanoTime() - roundStartNs;
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
                failures.check();
                if (System.nanoTime() - startNs > TimeUnit.MILLISECONDS.toNanos(barrierTimeoutMs)) {
                    throw new FerryException(ErrorCode.TIMEOUT, "data channel " + sender.index() +
                        " wrote nothing for " + barrierTimeoutMs + " ms: the destination stopped reading");
                }
                idle.idle();
            }
            idle.reset();
        }
        return packet;
    }

    private void enqueue(final ChannelSender sender, final Packet packet) {
        if (packet.type == Packet.DATA) {
            counters.remainingBytes(Math.max(0, counters.remainingBytes() -
                (long)packet.pageCount * memory.pageSizeBytes()));
        }
        // Never waits: a channel's pool holds exactly as many packets as its queue has room for.
        if (!sender.queue().offer(packet)) {
            throw new FerryException(ErrorCode.INTERNAL, "work queue of data channel " + sender.index() + " is full");
        }
    }
}
