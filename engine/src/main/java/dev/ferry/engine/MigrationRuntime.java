package dev.ferry.engine;

import dev.ferry.engine.channel.Watchdog;
import dev.ferry.engine.conductor.Lifecycle;
import dev.ferry.engine.stats.Counters;
import dev.ferry.engine.stats.CountersFile;
import dev.ferry.engine.stats.RuntimeCounters;

import java.net.SocketAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Many migrations in and out of one JVM: one listening endpoint for every incoming migration (up to
 * {@link Context#maxIncoming} at once, each placed by its guest's name), at most {@link Context#maxOutgoing} outgoing
 * at once (the next waits its turn up to {@link Context#outgoingWaitMs}, then is refused), and one host-wide
 * {@link BandwidthBudget} every outgoing migration shares by its weight, on top of its own cap. Each migration is
 * configured by its own Context as a single one is; the runtime adds only what is shared. Started once, closed once:
 * {@link #close()} stops taking migrations, cancels those that run (a source's guest is resumed, unless the
 * migration had reached APPLIED; a destination's partial memory is deleted) and waits for them.
 * <pre>{@code
 * try (MigrationRuntime runtime = MigrationRuntime.start(new MigrationRuntime.Context()
 *         .incoming(new MigrationDestination.Context().listen(new InetSocketAddress(7000)).secret(secret)
 *             .memoryFor(MemoryFactory.inDirectory(Path.of("/var/lib/guests"), false)))
 *         .maxIncoming(8).maxOutgoing(4).outgoingWaitMs(60_000).hostBandwidthBytesPerSec(1_000_000_000L))) {
 *     MigrationSource out = runtime.send(new MigrationSource.Context().destination(peer).name("vm-7")
 *         .memory(guest).guestControl(vcpus).secret(secret));     // waits up to a minute for one of the 4 places
 *     Migration in = runtime.nextIncoming(1, TimeUnit.HOURS);     // a source has connected
 * }
 * }</pre>
 * Thread-safe. A migration that has ended holds nothing of the runtime's: its place, its share of the budget and
 * (for an incoming one) its guest's name are free again; its own threads, buffers and counters are gone once its
 * handle is closed (an incoming one's as soon as it ends).
 */
public final class MigrationRuntime implements AutoCloseable {
    /**
     * The counters file is sized for this many channels a migration: one with more may still fit, else its counters
     * are kept in memory, unpublished.
     */
    private static final int TYPICAL_CHANNELS = 8;
    /** A waiting send() looks at whether the runtime closed this often. */
    private static final long WAIT_SLICE_MS = 50;

    private final Context context;
    private final RuntimeCounters counters;
    private final Watchdog watchdog;
    private final IncomingMigrations incoming;
    private final BandwidthBudget budget;
    private final Semaphore outgoingPlaces;
    /** Each running outgoing migration, and what completes once the runtime has accounted for its end. */
    private final Map<MigrationSource, CompletableFuture<Void>> outgoing = new ConcurrentHashMap<>();
    private final AtomicLong outgoingRefused = new AtomicLong();
    private final AtomicLong outgoingStarted = new AtomicLong();
    /** Guards {@link #closed} against a send() registering its migration: one of the two sees the other. */
    private final Object lifecycle = new Object();
    private volatile boolean closed;

    private MigrationRuntime(final Context context) {
        this.context = context;
        this.budget = new BandwidthBudget(context.hostBandwidthBytesPerSec);
        this.outgoingPlaces = new Semaphore(context.maxOutgoing, true);
        this.counters = new RuntimeCounters(context.countersDirectory, (int)Math.min(CountersFile.MAX_COUNTERS,
            RuntimeCounters.aggregates() + ((long)context.maxIncoming + context.maxOutgoing) *
            Counters.capacity(TYPICAL_CHANNELS)));
        try {
            this.incoming = null == context.incoming ? null : IncomingMigrations.start(context.incoming,
                context.maxIncoming, Long.MAX_VALUE, counters);
        } catch (final RuntimeException ex) {
            counters.close();
            throw ex;
        }
        this.watchdog = new Watchdog(Contexts.DAEMON_THREADS);
        watchdog.every(Counters.LIVE_REFRESH_MS, this::refreshCounters);
    }

    private void refreshCounters() {
        counters.refresh(null == incoming ? 0 : incoming.running(), outgoing.size(), incomingRefused(),
            outgoingRefused.get());
    }

    /** Validates {@code context} and starts the runtime: binds its endpoint, if it has one. */
    public static MigrationRuntime start(final Context context) {
        return new MigrationRuntime(context.conclude());
    }

    /**
     * Starts an outgoing migration once one of the {@link Context#maxOutgoing} places is free, waiting for it up to
     * {@link Context#outgoingWaitMs} (first come, first served). Unless {@code source} names a budget of its own, it
     * shares the runtime's ({@link #bandwidthBudget()}) with its {@code bandwidthWeight}. Its place is free again
     * the moment it ends.
     *
     * @throws FerryException {@link ErrorCode#RUNTIME_BUSY} naming the limit if no place freed in time, or if the
     *     runtime is closed; {@link ErrorCode#CONFIGURATION} if {@code source} is invalid (no place is taken then).
     */
    public MigrationSource send(final MigrationSource.Context source) throws InterruptedException {
        if (closed) {
            throw refused("the migration runtime is closed (or draining)");
        }
        if (null == source.bandwidthBudget()) {
            source.bandwidthBudget(budget);
        }
        source.conclude();
        if (!takeOutgoingPlace()) {
            throw refused(closed ? "the migration runtime is closed (or draining)" : "the migration runtime is " +
                "running " + context.maxOutgoing + " outgoing migration" + (1 == context.maxOutgoing ? "" : "s") +
                " at once, its limit (max outgoing), and none ended within " + context.outgoingWaitMs + " ms");
        }
        final MigrationSource started;
        // Started and registered under the lock drain() takes: close() either sees it or it sees close().
        synchronized (lifecycle) {
            if (closed) {
                outgoingPlaces.release();
                throw refused("the migration runtime is closed (or draining)");
            }
            final Counters published = counters.session("source", source.name(), source.channels());
            try {
                started = MigrationSource.startConcluded(source, published);
            } catch (final RuntimeException ex) {
                published.close();
                outgoingPlaces.release();
                throw ex;
            }
            final CompletableFuture<Void> accounted = new CompletableFuture<>();
            outgoing.put(started, accounted);
            outgoingStarted.incrementAndGet();
            started.result().whenComplete((result, failure) -> {
                counters.ended(published);
                outgoing.remove(started);
                outgoingPlaces.release();
                accounted.complete(null);
            });
        }
        return started;
    }

    /** A place, waited for up to the Context's wait; false if none freed in time or the runtime closed meanwhile. */
    private boolean takeOutgoingPlace() throws InterruptedException {
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(context.outgoingWaitMs);
        while (!closed) {
            final long leftNs = deadline - System.nanoTime();
            if (outgoingPlaces.tryAcquire(Math.max(0, Math.min(leftNs, TimeUnit.MILLISECONDS.toNanos(WAIT_SLICE_MS))),
                TimeUnit.NANOSECONDS)) {
                return true; // send() looks at closed again under the lock, and gives the place back if so
            }
            if (leftNs <= 0) {
                return false;
            }
        }
        return false;
    }

    /** Counts a refused send and says why. */
    private FerryException refused(final String why) {
        outgoingRefused.incrementAndGet();
        return new FerryException(ErrorCode.RUNTIME_BUSY, why);
    }

    /** The next incoming migration whose source has connected, or null if none did within {@code timeout}. */
    public Migration nextIncoming(final long timeout, final TimeUnit unit) throws InterruptedException {
        if (null == incoming) {
            throw new FerryException(ErrorCode.CONFIGURATION, "this migration runtime takes no incoming migration " +
                "(its Context has no incoming(...))");
        }
        return incoming.next(timeout, unit);
    }

    /** The address the incoming endpoint is bound to (useful with port 0), or null if it has none. */
    public SocketAddress localAddress() {
        return null == incoming ? null : incoming.localAddress();
    }

    /** The host-wide budget every outgoing migration shares; change it live with its {@code bytesPerSec}. */
    public BandwidthBudget bandwidthBudget() {
        return budget;
    }

    /**
     * The runtime's one counters file ({@link Context#countersDirectory}; {@code ferry stat} reads it): its
     * aggregates and every migration running on it, labelled by guest name and role. Null if it has none.
     */
    public Path countersFile() {
        return counters.path();
    }

    /** Bytes received by incoming migrations since the runtime started (ended ones, and the running ones' so far). */
    public long bytesIn() {
        refreshCounters();
        return counters.bytesIn();
    }

    /** Bytes sent by outgoing migrations since the runtime started (ended ones, and the running ones' so far). */
    public long bytesOut() {
        refreshCounters();
        return counters.bytesOut();
    }

    /** Incoming migrations running now. */
    public int incomingRunning() {
        return null == incoming ? 0 : incoming.running();
    }

    /**
     * Whether an incoming migration holds the guest name {@code name} now, from the moment its SETUP names it (before
     * its memory is made) until it ends: what to ask before touching that guest's file.
     */
    public boolean isReceiving(final String name) {
        return null != incoming && incoming.isReceiving(name);
    }

    /** Outgoing migrations running now. */
    public int outgoingRunning() {
        return outgoing.size();
    }

    /** Outgoing migrations started since the runtime started. */
    public long outgoingStarted() {
        return outgoingStarted.get();
    }

    /** Outgoing migrations refused for want of a place (or because the runtime was closed). */
    public long outgoingRefused() {
        return outgoingRefused.get();
    }

    /** Incoming connections refused at the endpoint's door (busy sources included); 0 without an endpoint. */
    public long incomingRefused() {
        return null == incoming ? 0 : incoming.rejectedConnections();
    }

    /**
     * Takes no new migration from now on (an incoming source is answered busy, "draining"; {@link #send} is refused)
     * while those that run go on; {@link #close()} then ends what is left.
     */
    public void drain() {
        synchronized (lifecycle) {
            closed = true;
        }
        if (null != incoming) {
            incoming.drain();
        }
    }

    /**
     * Stops taking migrations, cancels every one still running (outgoing and incoming), waits for them to end (up to
     * 30 s) and releases the endpoint. Handles of outgoing migrations stay the caller's to close. Idempotent.
     */
    @Override
    public void close() {
        drain();
        for (final MigrationSource source : outgoing.keySet()) {
            source.cancel("the migration runtime is closing");
        }
        if (null != incoming) {
            incoming.close();
        }
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(Lifecycle.CLOSE_WAIT_MS);
        // Until each ended migration has been accounted for (its counters freed), not only until it ended: a result
        // completes before the runtime's own reaction to it, and the file is removed only once no migration is in it.
        for (final CompletableFuture<Void> accounted : List.copyOf(outgoing.values())) {
            try {
                accounted.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (final InterruptedException ex) {
                Thread.currentThread().interrupt();
                return;
            } catch (final Exception ignore) {
                // it ended one way or another, or did not in time: there is nothing more to do for it here.
            }
        }
        refreshCounters();
        watchdog.close();
        counters.close(); // unmapped only if every migration publishing there has ended
    }

    /** What a runtime shares between its migrations; each migration's own settings stay in its own Context. */
    public static final class Context {
        private MigrationDestination.Context incoming;
        private int maxIncoming = 8;
        private int maxOutgoing = 8;
        private long outgoingWaitMs;
        private long hostBandwidthBytesPerSec;
        private Path countersDirectory;
        private boolean concluded;

        /**
         * The one endpoint every incoming migration comes through, and how each is received (listen address, secret
         * or TLS, {@code memoryFor} by guest name, timeouts); none (the default): the runtime only sends.
         */
        public Context incoming(final MigrationDestination.Context incoming) {
            mutable();
            this.incoming = incoming;
            return this;
        }

        public MigrationDestination.Context incoming() {
            return incoming;
        }

        /** Incoming migrations at once; a source past them is answered busy, naming this limit. Default 8. */
        public Context maxIncoming(final int maxIncoming) {
            mutable();
            this.maxIncoming = maxIncoming;
            return this;
        }

        public int maxIncoming() {
            return maxIncoming;
        }

        /**
         * Outgoing migrations at once; default 8. {@link #send} past them waits for a place up to
         * {@link #outgoingWaitMs} (default 0: it is refused at once).
         */
        public Context maxOutgoing(final int maxOutgoing) {
            mutable();
            this.maxOutgoing = maxOutgoing;
            return this;
        }

        public int maxOutgoing() {
            return maxOutgoing;
        }

        /** How long {@link #send} waits for an outgoing place before it is refused; default 0, not at all. */
        public Context outgoingWaitMs(final long outgoingWaitMs) {
            mutable();
            this.outgoingWaitMs = outgoingWaitMs;
            return this;
        }

        public long outgoingWaitMs() {
            return outgoingWaitMs;
        }

        /** The host-wide budget for every outgoing migration, bytes per second (0, the default: unlimited). */
        public Context hostBandwidthBytesPerSec(final long hostBandwidthBytesPerSec) {
            mutable();
            this.hostBandwidthBytesPerSec = hostBandwidthBytesPerSec;
            return this;
        }

        public long hostBandwidthBytesPerSec() {
            return hostBandwidthBytesPerSec;
        }

        /**
         * Where the runtime's one counters file goes (made 0600 in a private directory, as a migration's own), for
         * {@code ferry stat}; default none (the counters are kept in memory). A migration started through the
         * runtime publishes there, not in its own Context's directory.
         */
        public Context countersDirectory(final Path countersDirectory) {
            mutable();
            this.countersDirectory = countersDirectory;
            return this;
        }

        public Path countersDirectory() {
            return countersDirectory;
        }

        private void mutable() {
            if (concluded) {
                throw new FerryException(ErrorCode.CONFIGURATION, "this runtime Context is in use: make a new one");
            }
        }

        /** Validates, once. */
        public Context conclude() {
            if (concluded) {
                return this;
            }
            if (maxIncoming < 1 || maxOutgoing < 1) {
                throw new FerryException(ErrorCode.CONFIGURATION, "max incoming " + maxIncoming + " and max outgoing " +
                    maxOutgoing + " must be >= 1");
            }
            if (outgoingWaitMs < 0 || hostBandwidthBytesPerSec < 0) {
                throw new FerryException(ErrorCode.CONFIGURATION, "outgoing wait " + outgoingWaitMs + " ms and host " +
                    "bandwidth " + hostBandwidthBytesPerSec + " B/s must be >= 0");
            }
            concluded = true;
            return this;
        }
    }
}
