package dev.ferry.engine.conductor;

import dev.ferry.engine.ConvergenceStats;
import dev.ferry.engine.ErrorCode;
import dev.ferry.engine.FerryException;
import dev.ferry.engine.MigrationResult;
import dev.ferry.engine.MigrationStats;
import dev.ferry.engine.MigrationStatus;
import dev.ferry.engine.channel.MainChannel;
import dev.ferry.engine.channel.Watchdog;
import dev.ferry.engine.stats.Counters;
import dev.ferry.memory.GuestMemory;

import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongSupplier;

/**
 * A conductor's states, changed by its thread alone and each change checked against what the state allows, and
 * the end every migration reaches once, whatever came before: tell the peer why (unless it knows), release what
 * the side holds, final counters, the result completed. The state and the result are read by any thread.
 *
 * @param <S> the side's states
 */
public final class Lifecycle<S extends Enum<S> & Lifecycle.State<S>> {
    /** How long telling the peer, and each release step, may take before it is given up. */
    public static final long CLOSE_GRACE_MS = 2_000;
    /** How long closing a migration (or a runtime of them) waits for what it cancelled to end. */
    public static final long CLOSE_WAIT_MS = 30_000;

    private static final System.Logger LOG = System.getLogger(Lifecycle.class.getName());

    /** A side's state: the API status it shows and the states it may move to. */
    public interface State<S> {
        /** The status an embedder sees in this state. */
        MigrationStatus status();

        /** The states this one may move to. */
        Set<S> next();
    }

    private final String role;
    private final Counters counters;
    private final Outcome failures;
    private final Watchdog watchdog;
    private final LongSupplier mainBytes;
    private final CompletableFuture<MigrationResult> result = new CompletableFuture<>();
    private volatile S state;
    private volatile FerryException reported;

    /**
     * Starts in {@code initial}; {@code role} ("source", "destination") names the side in logs and statistics,
     * {@code failures} decides the outcome, {@code watchdog} bounds telling the peer, {@code mainBytes} counts the
     * main channel's bytes.
     */
    public Lifecycle(final String role, final S initial, final Counters counters, final Outcome failures,
        final Watchdog watchdog, final LongSupplier mainBytes) {
        this.role = role;
        this.state = initial;
        this.counters = counters;
        this.failures = failures;
        this.watchdog = watchdog;
        this.mainBytes = mainBytes;
        counters.status(initial.status().ordinal());
    }

    public S state() {
        return state;
    }

    /** The result, completed once by {@link #finish}. */
    public CompletableFuture<MigrationResult> result() {
        return result;
    }

    /** Moves to {@code next}; a transition its state does not allow is a bug, and fails the migration. */
    public void transition(final S next) {
        final S current = state;
        if (!current.next().contains(next)) {
            throw new FerryException(ErrorCode.INTERNAL, "illegal " + role + " transition " + current + " -> " + next);
        }
        LOG.log(System.Logger.Level.DEBUG, "{0} {1} -> {2}", role, current, next);
        state = next;
        counters.status(next.status().ordinal());
    }

    /**
     * The end, once, on the conductor's thread: tells the peer why the migration failed unless it knows already,
     * runs the side's {@code release} (stop threads, resume or keep the guest, place or discard memory), makes the
     * counters final, moves to {@code outcome} (an illegal last transition is logged as the bug it is, and the
     * outcome still published: a result that never completes would hang the embedder) and completes the result.
     *
     * @param outcome     the final state, decided by the side from its failure.
     * @param main        the main channel to tell the peer on, or null if it never connected.
     * @param memory      the guest's memory the result hands over when completed (the destination's), or null.
     * @param convergence the source's convergence figures for the result's statistics, or null.
     */
    public void finish(final S outcome, final MainChannel main, final Runnable release, final boolean verified,
        final GuestMemory memory, final ConvergenceStats convergence) {
        final FerryException cause = failures.failure();
        if (null != cause && null != main && !failures.failureFromPeer()) {
            main.tellFailure(watchdog, CLOSE_GRACE_MS, outcome.status() == MigrationStatus.CANCELLED, cause.code().id(),
                cause.getMessage());
        }
        release.run();
        counters.end();
        counters.refresh(mainBytes.getAsLong());
        reported = cause;
        if (!state.next().contains(outcome)) {
            LOG.log(System.Logger.Level.ERROR, "illegal final {0} transition {1} -> {2}", role, state, outcome);
        }
        state = outcome;
        counters.status(outcome.status().ordinal());
        result.complete(new MigrationResult(outcome.status(), verified, null == cause ? ErrorCode.NONE : cause.code(),
            null == cause ? null : cause.getMessage(), stats(verified, convergence), null == cause ? memory : null));
    }

    /** A live snapshot of the statistics, the same counters {@code ferry stat} reads. */
    public MigrationStats stats(final boolean verified, final ConvergenceStats convergence) {
        final FerryException cause = reported;
        return counters.snapshot(role, state.status().jsonName(), mainBytes.getAsLong(), verified,
            null == cause ? null : cause.getMessage(), null == cause ? null : cause.code().name(), convergence);
    }

    /**
     * What closing a facade does first: cancels with {@code cancel} unless {@code end} is done, then waits up to
     * {@code waitMs} for it; true once it has ended (false: interrupted, or it did not end in time, and whatever
     * the migration's threads use must stay).
     */
    public static boolean awaitEnd(final CompletableFuture<?> end, final Runnable cancel, final long waitMs) {
        if (!end.isDone()) {
            cancel.run();
        }
        try {
            end.get(waitMs, TimeUnit.MILLISECONDS);
            return true;
        } catch (final InterruptedException ex) {
            Thread.currentThread().interrupt();
            return false;
        } catch (final TimeoutException | ExecutionException ex) {
            return false;
        }
    }
}
