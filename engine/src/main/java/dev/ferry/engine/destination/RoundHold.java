package dev.ferry.engine.destination;

import dev.ferry.engine.channel.SyncBarrier;
import dev.ferry.engine.protocol.ProtocolException;
import dev.ferry.engine.stats.Counters;
import dev.ferry.engine.stats.FlightEvents;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The destination's hold between rounds: receivers stop at SYNC(k), the conductor arrives on FLUSH(k), and all go
 * on together once every channel's round-k pages are in memory. It also times the hold (first SYNC to release) and
 * counts the rounds. With {@code hold} false (a test's switch only) nobody waits, which lets a newer copy of a page
 * be overwritten by an older one still in flight: the failure the ordering test must be able to see.
 */
final class RoundHold {
    private final SyncBarrier barrier;
    private final boolean hold;
    private final Counters counters;
    private final AtomicLong firstSyncNs = new AtomicLong();
    private long nextFlushRound;

    RoundHold(final SyncBarrier barrier, final boolean hold, final Counters counters) {
        this.barrier = barrier;
        this.hold = hold;
        this.counters = counters;
    }

    /** A receiver read SYNC of {@code round}: waits until every channel has, and the FLUSH is in; false if ended. */
    boolean arriveAtSync(final int channel, final long round) {
        firstSyncNs.compareAndSet(0, System.nanoTime());
        return !hold || barrier.arriveAndAwait(round, "data channel " + channel + " at the SYNC of round " + round) ==
            SyncBarrier.Outcome.RELEASED;
    }

    /** The conductor read FLUSH of {@code round}: checks it is the next one and waits for every channel; false if ended. */
    boolean onFlush(final long round) {
        ProtocolException.check(round == nextFlushRound, "FLUSH round", round, Long.toString(nextFlushRound));
        final FlightEvents.BarrierWait wait = FlightEvents.barrierWait();
        if (hold && barrier.arriveAndAwait(round, "the main channel at the FLUSH of round " + round) ==
            SyncBarrier.Outcome.TERMINATED) {
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
    long flushedRounds() {
        return nextFlushRound;
    }

    void terminate() {
        barrier.terminate();
    }
}
