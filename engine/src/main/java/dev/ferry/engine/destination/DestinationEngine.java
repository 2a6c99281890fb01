package dev.ferry.engine.destination;

import dev.ferry.engine.api.MigrationResult;
import dev.ferry.engine.channel.Watchdog;
import dev.ferry.engine.protocol.Protocol;
import dev.ferry.engine.stats.Counters;
import dev.ferry.engine.stats.CountersFile;
import dev.ferry.engine.stats.MigrationStats;
import org.agrona.concurrent.status.AtomicCounter;

import java.io.IOException;
import java.io.OutputStream;
import java.net.SocketAddress;
import java.util.concurrent.CompletableFuture;

/**
 * What the facade holds of a running destination: it makes the counters (published in a file when the
 * configuration names a directory), binds the listening socket, starts the {@link DestinationConductor} and the
 * {@link Admission}, and closes what the conductor leaves behind. The migration itself is the conductor's.
 */
public final class DestinationEngine implements AutoCloseable {
    private static final long CLOSE_WAIT_MS = 30_000;

    private final Counters counters;
    private final AtomicCounter rejected;
    private final DestinationConductor conductor;
    private final Admission admission;
    private volatile MigrationStats finalStats;

    /** Binds {@code config.listen()} and starts; throws if the address cannot be bound. */
    public DestinationEngine(final DestinationConfig config) throws IOException {
        final int capacity = Counters.capacity(Protocol.MAX_CHANNELS);
        this.counters = new Counters(null == config.countersDirectory() ?
            CountersFile.inMemory("destination", capacity) :
            CountersFile.create(config.countersDirectory(), "destination", capacity));
        this.rejected = counters.rejectedConnections();
        final Watchdog watchdog = new Watchdog(config.threadFactory());
        this.conductor = new DestinationConductor(config, counters, watchdog);
        try {
            this.admission = new Admission(config, watchdog, conductor, rejected);
        } catch (final IOException ex) {
            watchdog.close();
            counters.close();
            throw ex;
        }
        conductor.admission(admission);
        conductor.result().thenAccept(result -> finalStats = result.stats());
        final Thread thread = config.threadFactory().newThread(conductor);
        thread.setName("ferry-destination-conductor");
        thread.start();
    }

    public SocketAddress localAddress() {
        return admission.localAddress();
    }

    public CompletableFuture<MigrationResult> result() {
        return conductor.result();
    }

    public int rejectedConnections() {
        return (int)rejected.get();
    }

    /** A live snapshot, or the final one once the migration ended. */
    public MigrationStats stats() {
        final MigrationStats last = finalStats;
        return null != last ? last : conductor.stats();
    }

    public void cancel(final String reason) {
        conductor.cancel(reason);
    }

    public void writeHistogramLog(final OutputStream out) {
        counters.latency().writeLog(out);
    }

    /** Cancels a running migration, waits for its end and removes the counters file. */
    @Override
    public void close() {
        counters.closeWhenEnded(conductor.result(), () -> conductor.cancel("closed by the embedder"), CLOSE_WAIT_MS);
    }
}
