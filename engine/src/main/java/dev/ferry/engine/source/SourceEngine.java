package dev.ferry.engine.source;

import dev.ferry.engine.MigrationResult;
import dev.ferry.engine.MigrationStats;
import dev.ferry.engine.conductor.Lifecycle;
import dev.ferry.engine.conductor.MigrationEngine;
import dev.ferry.engine.stats.Counters;
import dev.ferry.engine.stats.CountersFile;

import java.io.OutputStream;
import java.util.concurrent.CompletableFuture;

/**
 * What the facade holds of a running source: it makes the counters (published in a file when the configuration
 * names a directory), starts the {@link SourceConductor} on a thread of the configured factory, and closes what the
 * conductor leaves behind. The migration itself is the conductor's.
 */
public final class SourceEngine implements MigrationEngine {

    private final Counters counters;
    private final SourceConductor conductor;
    private volatile MigrationStats finalStats;

    public SourceEngine(final SourceConfig config) {
        this(config, new Counters(null == config.countersDirectory() ?
            CountersFile.inMemory("source", Counters.capacity(config.channels())) :
            CountersFile.create(config.countersDirectory(), "source", Counters.capacity(config.channels()))));
    }

    /** A migration publishing in {@code counters} (a runtime's shared file, say), which it closes when closed. */
    public SourceEngine(final SourceConfig config, final Counters counters) {
        this.counters = counters;
        this.conductor = new SourceConductor(config, counters);
        conductor.result().thenAccept(result -> finalStats = result.stats());

        final Thread thread = config.threadFactory().newThread(conductor);
        thread.setName("ferry-source-conductor");
        thread.start();
    }

    @Override
    public CompletableFuture<MigrationResult> result() {
        return conductor.result();
    }

    /** A live snapshot, or the final one once the migration ended. */
    @Override
    public MigrationStats stats() {
        final MigrationStats last = finalStats;
        return null != last ? last : conductor.stats();
    }

    @Override
    public void cancel(final String reason) {
        conductor.cancel(reason);
    }

    public void downtimeLimitMs(final long limitMs) {
        conductor.convergence().downtimeLimitMs(limitMs);
    }

    public void maxBandwidth(final long bytesPerSecond) {
        conductor.convergence().maxBandwidth(bytesPerSecond);
    }

    public void forceSwitchover() {
        conductor.convergence().force();
    }

    @Override
    public void writeHistogramLog(final OutputStream out) {
        counters.latency().writeLog(out);
    }

    /** Cancels a running migration, waits for its end and removes the counters file. */
    @Override
    public void close() {
        counters.closeWhenEnded(conductor.result(), () -> conductor.cancel("closed by the embedder"), Lifecycle.CLOSE_WAIT_MS);
    }
}
