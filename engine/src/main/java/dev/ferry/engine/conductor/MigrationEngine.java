package dev.ferry.engine.conductor;

import dev.ferry.engine.MigrationResult;
import dev.ferry.engine.MigrationStats;

import java.io.OutputStream;
import java.util.concurrent.CompletableFuture;

/** What either side's engine offers the facade in front of it: the outcome, statistics, cancel and close. */
public interface MigrationEngine extends AutoCloseable {
    /** Completes once, when the migration ends, whatever the outcome. */
    CompletableFuture<MigrationResult> result();

    /** A live snapshot, or the final one once the migration ended. */
    MigrationStats stats();

    /** Posts a cancel with {@code reason}, which the peer and the result will give. */
    void cancel(String reason);

    /** Writes the latency histograms recorded so far to {@code out} as an HdrHistogram {@code .hlog}. */
    void writeHistogramLog(OutputStream out);

    /** Cancels a running migration, waits for its end and removes its counters file. */
    @Override
    void close();
}
