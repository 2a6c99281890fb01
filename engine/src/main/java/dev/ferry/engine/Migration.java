package dev.ferry.engine;

import dev.ferry.engine.conductor.MigrationEngine;

import java.io.OutputStream;
import java.util.concurrent.CompletableFuture;

/**
 * One running migration, either side: {@link MigrationSource} or {@link MigrationDestination}. What both offer is
 * here; each side adds its own (live limits on the source, the bound address on the destination).
 */
public abstract class Migration implements AutoCloseable {
    private final MigrationEngine engine;

    Migration(final MigrationEngine engine) {
        this.engine = engine;
    }

    /**
     * Completes when the migration ends, whatever the outcome (it is not completed exceptionally). Each call returns
     * a new copy: completing or cancelling it does not touch the migration (use {@link #cancel()}).
     */
    public final CompletableFuture<MigrationResult> result() {
        return engine.result().copy();
    }

    /**
     * Writes the latency histograms recorded so far (packet write or apply latency, SYNC barrier latency, bitmap
     * harvest time; nanoseconds, tagged) to {@code out} as an HdrHistogram {@code .hlog}.
     */
    public final void writeHistogramLog(final OutputStream out) {
        engine.writeHistogramLog(out);
    }

    /** A live snapshot of the statistics (the same counters {@code ferry stat} reads); the final one at the end. */
    public final MigrationStats stats() {
        return engine.stats();
    }

    /** Cancels at any moment: the peer is told and threads end (what becomes of the guest: see each side). */
    public final void cancel() {
        cancel("cancelled by the embedder");
    }

    /** As {@link #cancel()}, with the reason the peer and the result will give. */
    public final void cancel(final String reason) {
        engine.cancel(reason);
    }

    /** Cancels the migration if it still runs, waits for it to end and removes its counters file. */
    @Override
    public final void close() {
        engine.close();
    }
}
