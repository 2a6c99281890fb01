package dev.ferry.engine.destination;

import dev.ferry.engine.MigrationResult;
import dev.ferry.engine.MigrationStats;
import dev.ferry.engine.conductor.Lifecycle;
import dev.ferry.engine.conductor.MigrationEngine;
import dev.ferry.engine.stats.Counters;

import java.io.OutputStream;
import java.util.concurrent.CompletableFuture;

/**
 * One incoming migration of an {@link IncomingEngine}: its conductor and its counters, as a facade sees them. Its
 * counters are released by {@link #close}, once the migration has ended (its threads are joined by then).
 */
final class IncomingSession implements MigrationEngine {

    private final DestinationConductor conductor;
    private final Counters counters;
    private boolean countersClosed;

    IncomingSession(final DestinationConductor conductor, final Counters counters) {
        this.conductor = conductor;
        this.counters = counters;
    }

    @Override
    public CompletableFuture<MigrationResult> result() {
        return conductor.result();
    }

    @Override
    public synchronized MigrationStats stats() {
        final MigrationResult done = conductor.result().getNow(null);
        return null != done ? done.stats() : countersClosed ? conductor.result().join().stats() : conductor.stats();
    }

    @Override
    public void cancel(final String reason) {
        conductor.cancel(reason);
    }

    @Override
    public synchronized void writeHistogramLog(final OutputStream out) {
        if (!countersClosed) {
            counters.latency().writeLog(out);
        }
    }

    /** Cancels the migration if it runs, waits for its end, then releases its counters. */
    @Override
    public void close() {
        if (!Lifecycle.awaitEnd(conductor.result(), () -> conductor.cancel("closed by the embedder"), Lifecycle.CLOSE_WAIT_MS)) {
            return; // a thread may still use the counters: they stay mapped
        }
        synchronized (this) {
            if (!countersClosed) {
                countersClosed = true;
                counters.close();
            }
        }
    }
}
