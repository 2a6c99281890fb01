package dev.ferry.engine.destination;

import dev.ferry.engine.channel.SyncBarrier;
import dev.ferry.engine.protocol.ProtocolException;
import dev.ferry.engine.stats.Counters;
import dev.ferry.engine.stats.FlightEvents;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The destination's hold between rounds: receivers stop at SYNC(k), the conductor arrives on FLUSH(k), and all go
 * on together once every channel's round-k pages are in memory. It also times the hold (first SYNC to release) and
 * counts the rounds. {@link #notHolding} (the ordering test's broken variant, and nothing else) waits for nobody,
 * which lets a newer copy of a page be overwritten by an older one still in flight: the failure the ordering test
 * must be able to see. Which one is chosen once, at SETUP; no SYNC asks.
 */
class RoundHold {
    private final SyncBarrier barrier;
    private final Counters counters;
    private final AtomicLong firstSyncNs = new AtomicLong();
    private long nextFlushRound;

    private RoundHold(final SyncBarrier barrier, final Counters counters) {
        this.barrier = barrier;
        this.counters = counters;
    }

    /** The hold of every migration: channels stop at SYNC until FLUSH. */
    static RoundHold holding(final SyncBarrier barrier, final Counters counters) {
        return new RoundHold(barrier, counters);
    }

    /** A test's broken variant: nobody stops at SYNC or FLUSH; rounds are still counted. */
    static RoundHold notHolding(final SyncBarrier barrier, final Counters counters) {
        return new RoundHold(barrier, counters) {
            @Override
            boolean await(final long round, final String who) {
                return true;
            }
        };
    }

    /** Waits at the barrier for {@code round}; false when the migration ended meanwhile. */
    boolean await(final long round, final String who) {
        return barrier.arriveAndAwait(round, who) == SyncBarrier.Outcome.RELEASED;
    }

    /** A receiver read SYNC of {@code round}: waits until every channel has, and the FLUSH is in; false if ended. */
    final boolean arriveAtSync(final int channel, final long round) {
        firstSyncNs.compareAndSet(0, System.nanoTime());
        return await(round, "data channel " + channel + " at the SYNC of round " + round);
    }

    /** The conductor read FLUSH of {@code round}: checks it is the next one and waits for every channel; false if ended. */
    final boolean onFlush(final long round) {
        ProtocolException.check(round == nextFlushRound, "FLUSH round", round, Long.toString(nextFlushRound));
        final FlightEvents.BarrierWait wait = FlightEvents.barrierWait();
        if (!await(round, "the main channel at the FLUSH of round " + round)) {
            return false;
        }
        if (null != wait) {
            wait.end("destination", round);
        }
        final long firstNs = firstSyncNs.getAndSet(0);
        if (firstNs != 0) {
            counters.latency().recordBarrierLatency(System.nanoTime() - firstNs);
        }
        counters.rounds(round + 1);
        counters.latency().endInterval();
        nextFlushRound++;
        return true;
    }

    /** Rounds flushed so far. */
    final long flushedRounds() {
        return nextFlushRound;
    }

    final void terminate() {
        barrier.terminate();
    }
}
