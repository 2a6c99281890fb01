package dev.ferry.engine;

import dev.ferry.engine.conductor.MigrationEngine;
import dev.ferry.engine.destination.IncomingEngine;
import dev.ferry.engine.stats.RuntimeCounters;

import java.net.SocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * A destination for many migrations at once through one listening endpoint: up to {@code maxIncoming} run
 * together (a source past them is refused as busy, and may try again), each placed by the name its source gives
 * its guest ({@link MigrationDestination.Context#memoryFor}), each one {@link Migration} of its own. A name is
 * taken by one migration at a time. Configured by the same Context as a {@link MigrationDestination}; one that
 * fails or is cancelled leaves the others running. {@link #close()} cancels what still runs.
 * <pre>{@code
 * try (IncomingMigrations incoming = IncomingMigrations.start(new MigrationDestination.Context()
 *         .listen(new InetSocketAddress(7000)).secret(secret)
 *         .memoryFor(MemoryFactory.inDirectory(Path.of("/var/lib/guests"), false)), 8)) {
 *     Migration next = incoming.next(1, TimeUnit.HOURS);     // a source has connected
 *     MigrationResult received = next.result().join();
 * }
 * }</pre>
 */
public final class IncomingMigrations implements AutoCloseable {
    private final IncomingEngine engine;

    private IncomingMigrations(final IncomingEngine engine) {
        this.engine = engine;
    }

    /** Validates {@code context}, binds its listening address and takes up to {@code maxIncoming} at once. */
    public static IncomingMigrations start(final MigrationDestination.Context context, final int maxIncoming) {
        return start(context, maxIncoming, Long.MAX_VALUE);
    }

    /** As {@link #start(MigrationDestination.Context, int)}, taking {@code totalIncoming} in all, then none. */
    public static IncomingMigrations start(final MigrationDestination.Context context, final int maxIncoming,
        final long totalIncoming) {
        return start(context, maxIncoming, totalIncoming, null);
    }

    /** As above, the sessions publishing in a runtime's counters file ({@code shared}; null: each its own). */
    static IncomingMigrations start(final MigrationDestination.Context context, final int maxIncoming,
        final long totalIncoming, final RuntimeCounters shared) {
        return new IncomingMigrations(MigrationDestination.listening(context,
            config -> new IncomingEngine(config, config.hooks(), maxIncoming, totalIncoming, shared)));
    }

    /** Migrations running now. */
    public int running() {
        return engine.running();
    }

    /**
     * Whether an incoming migration holds the guest name {@code name} now: from the moment its SETUP names it (before
     * its memory is made) until it ends, whatever the outcome. No second guest of that name is taken meanwhile.
     */
    public boolean isReceiving(final String name) {
        return engine.receiving(name);
    }

    /** The address actually bound (useful with port 0). */
    public SocketAddress localAddress() {
        return engine.localAddress();
    }

    /** Connections refused at the handshake so far (busy sources included). */
    public long rejectedConnections() {
        return engine.rejectedConnections();
    }

    /** The next migration whose source has connected, or null if none did within {@code timeout}. */
    public Migration next(final long timeout, final TimeUnit unit) throws InterruptedException {
        final MigrationEngine session = engine.next(unit.toMillis(timeout));
        return null == session ? null : new Incoming(session);
    }

    /** Takes no new migration from now on (a source is answered busy, "draining"); those that run go on. */
    public void drain() {
        engine.drain();
    }

    /** Stops taking migrations, cancels those that run, waits for them and releases everything. */
    @Override
    public void close() {
        engine.close();
    }

    /** One incoming migration as an embedder sees it. */
    private static final class Incoming extends Migration {
        Incoming(final MigrationEngine engine) {
            super(engine);
        }
    }
}
