package dev.ferry.engine.channel;

import dev.ferry.engine.ErrorCode;
import dev.ferry.engine.FerryException;

import java.util.concurrent.Phaser;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongSupplier;

/**
 * The SYNC/FLUSH barrier of one side: a {@link Phaser} whose parties are the data channels plus the main thread,
 * one phase per round.
 * <ul>
 * <li>Source: each sender {@link #arrive arrives} once it has <em>written</em> its round's SYNC; the conductor
 * {@link #arriveAndAwait arrives and waits}, and writes FLUSH only after the phase advanced.</li>
 * <li>Destination: a receiver that reads SYNC, and the conductor on FLUSH, arrive and wait; everyone goes on to
 * the next round only when all have arrived.</li>
 * </ul>
 * Discipline: a failure {@link #terminate terminates} the barrier (no party is ever deregistered: that would open
 * it), every wait has a timeout and reports termination, and the round a party arrives for must equal the phase.
 */
public final class SyncBarrier {
    /** How a wait ended, when it did not time out. */
    public enum Outcome {
        RELEASED,
        TERMINATED
    }

    private final Phaser phaser;
    private final long timeoutMs;

    /** A barrier for {@code channels} data channels plus the main thread. */
    public SyncBarrier(final int channels, final long timeoutMs) {
        this.phaser = new Phaser(channels + 1);
        this.timeoutMs = timeoutMs;
    }

    /** Arrives without waiting; returns the phase arrived at (negative once terminated). */
    public int arrive() {
        return phaser.arrive();
    }

    /**
     * Arrives for {@code round} and waits until every party has. {@code who} names the waiter in errors.
     *
     * @throws FerryException BARRIER_TIMEOUT when the barrier does not open within the timeout; PROTOCOL_VIOLATION
     *                        when {@code round} is not the phase being released (the peer skipped or repeated one).
     */
    public Outcome arriveAndAwait(final long round, final String who) {
        return arriveAndAwait(round, who, () -> 0);
    }

    /**
     * As {@link #arriveAndAwait(long, String)}, but the timeout is one without {@code progress}: while it keeps
     * growing (the channels still write what was queued ahead of their SYNC, slowly under a low bandwidth cap), the
     * wait goes on; it fails only after a whole timeout in which it did not move.
     */
    public Outcome arriveAndAwait(final long round, final String who, final LongSupplier progress) {
        final int phase = phaser.arrive();
        if (phase < 0) {
            return Outcome.TERMINATED;
        }
        if (phase != round) {
            throw new FerryException(ErrorCode.PROTOCOL_VIOLATION, "invalid round at the barrier for " + who +
                ", phase " + phase + ": expected " + round);
        }
        long seen = progress.getAsLong();
        while (true) {
            try {
                return phaser.awaitAdvanceInterruptibly(phase, timeoutMs, TimeUnit.MILLISECONDS) < 0 ?
                    Outcome.TERMINATED : Outcome.RELEASED;
            } catch (final TimeoutException ex) {
                final long now = progress.getAsLong();
                if (now == seen) {
                    throw new FerryException(ErrorCode.BARRIER_TIMEOUT, who + ": the SYNC/FLUSH barrier did not open " +
                        "within " + timeoutMs + " ms (" + phaser.getArrivedParties() + " of " +
                        phaser.getRegisteredParties() + " arrived)");
                }
                seen = now;
            } catch (final InterruptedException ex) {
                Thread.currentThread().interrupt();
                return Outcome.TERMINATED;
            }
        }
    }

    /** Opens every wait with {@link Outcome#TERMINATED}, now and later. Safe from any thread, any number of times. */
    public void terminate() {
        phaser.forceTermination();
    }

    public boolean isTerminated() {
        return phaser.isTerminated();
    }

    public long timeoutMs() {
        return timeoutMs;
    }
}
