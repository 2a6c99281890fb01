package dev.ferry.engine.destination;

import dev.ferry.engine.MigrationResult;
import dev.ferry.engine.MigrationStats;
import dev.ferry.engine.channel.Watchdog;
import dev.ferry.engine.conductor.Lifecycle;
import dev.ferry.engine.conductor.MigrationEngine;
import dev.ferry.engine.protocol.Protocol;
import dev.ferry.engine.stats.Counters;
import dev.ferry.engine.stats.CountersFile;
import org.agrona.concurrent.status.AtomicCounter;

import java.io.IOException;
import java.io.OutputStream;
import java.net.SocketAddress;
import java.util.concurrent.CompletableFuture;

/**
 * What the facade holds of a running destination: it makes the counters (published in a file when the
 * configuration names a directory), binds the listening socket, starts the {@link DestinationConductor} and the
 * {@link Admission}, and closes what the conductor leaves behind. The migration itself is the conductor's.
 * <p>
 * The counters file is unmapped only once nothing can touch it: the migration has ended (its receivers joined), the
 * door's threads have ended (a refusal counted after the unmapping would crash the JVM), and no caller is reading a
 * live figure ({@link #stats()} and {@link #rejectedConnections()} read under the same lock, and from the final
 * result once there is one).
 */
public final class DestinationEngine implements MigrationEngine {

    private final Counters counters;
    private final AtomicCounter rejected;
    /** Guards the counters' mapping: set, under this lock, once it is released. */
    private boolean countersClosed;
    private final DestinationConductor conductor;
    private final Admission admission;

    /** Binds {@code config.listen()} and starts, with the tests' {@code hooks}; throws if it cannot bind. */
    public DestinationEngine(final DestinationConfig config, final DestinationHooks hooks) throws IOException {
        final int capacity = Counters.capacity(Protocol.MAX_CHANNELS);
        this.counters = new Counters(null == config.countersDirectory() ?
            CountersFile.inMemory("destination", capacity) :
            CountersFile.create(config.countersDirectory(), "destination", capacity));
        this.rejected = counters.rejectedConnections();
        final Watchdog watchdog = new Watchdog(config.threadFactory());
        this.conductor = new DestinationConductor(config, hooks, counters, watchdog);
        try {
            this.admission = new Admission(config, watchdog, conductor, rejected, new SessionRules(SessionRules.ONCE));
        } catch (final IOException ex) {
            watchdog.close();
            counters.close();
            throw ex;
        }
        conductor.admission(admission);
        final Thread thread = config.threadFactory().newThread(conductor);
        thread.setName("ferry-destination-conductor");
        thread.start();
    }

    public SocketAddress localAddress() {
        return admission.localAddress();
    }

    @Override
    public CompletableFuture<MigrationResult> result() {
        return conductor.result();
    }

    /** Connections refused so far; the final count once the migration ended. */
    public int rejectedConnections() {
        final MigrationResult done = conductor.result().getNow(null);
        if (null != done) {
            return (int)done.stats().rejectedConnections();
        }
        synchronized (this) {
            return countersClosed ? (int)conductor.result().join().stats().rejectedConnections() : (int)rejected.get();
        }
    }

    /** A live snapshot, or the final one once the migration ended. */
    @Override
    public MigrationStats stats() {
        final MigrationResult done = conductor.result().getNow(null);
        if (null != done) {
            return done.stats();
        }
        synchronized (this) {
            return countersClosed ? conductor.result().join().stats() : conductor.stats();
        }
    }

    @Override
    public void cancel(final String reason) {
        conductor.cancel(reason);
    }

    @Override
    public void writeHistogramLog(final OutputStream out) {
        counters.latency().writeLog(out);
    }

    /**
     * Cancels a running migration, waits for its end and for the door's threads, then removes the counters file. If
     * either does not end within the wait, the counters stay mapped (a thread may still use them) and this returns.
     */
    @Override
    public void close() {
        if (!Lifecycle.awaitEnd(conductor.result(), () -> conductor.cancel("closed by the embedder"), Lifecycle.CLOSE_WAIT_MS) ||
            !admission.awaitStopped(Lifecycle.CLOSE_WAIT_MS)) {
            return;
        }
        synchronized (this) {
            countersClosed = true;
            counters.close();
        }
    }
}
