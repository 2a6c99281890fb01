package dev.ferry.engine.daemon;

import dev.ferry.engine.ErrorCode;
import dev.ferry.engine.FerryException;
import dev.ferry.engine.Migration;
import dev.ferry.engine.MigrationDestination;
import dev.ferry.engine.MigrationResult;
import dev.ferry.engine.MigrationRuntime;
import dev.ferry.engine.MigrationSource;
import dev.ferry.engine.Secret;
import dev.ferry.engine.VerifyMode;
import dev.ferry.engine.text.Units;
import dev.ferry.memory.GuestMemory;

import java.net.SocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Predicate;
import javax.net.ssl.SSLContext;

/**
 * The service {@code ferry daemon} runs, without its HTTP face: one {@link MigrationRuntime} (an incoming endpoint
 * whose guests land in the data directory, a limit on outgoing migrations with a queue before it, one host
 * bandwidth budget), every migration it runs or ran by id, and the drain that ends it. The control API
 * ({@link ControlApi}) and the metrics ({@link DaemonMetrics}) read and drive it; thread-safe.
 */
public final class Daemon implements AutoCloseable {
    /** How many ended migrations stay listed, the oldest forgotten first. */
    static final int KEPT_ENDED = 256;
    /** How long a queued outgoing migration may wait for a place before it is refused (practically: until drained). */
    private static final long OUTGOING_WAIT_MS = TimeUnit.DAYS.toMillis(30);
    private static final long ACCEPT_POLL_MS = 100;

    private final Settings settings;
    private final MigrationRuntime runtime;
    private final GuestDirectory guests;
    /** By id, in the order they began; guarded by itself. */
    private final Map<String, TrackedMigration> migrations = new LinkedHashMap<>();
    private final AtomicLong nextOut = new AtomicLong();
    private final AtomicLong nextIn = new AtomicLong();
    private final ExecutorService workers = Executors.newCachedThreadPool(runnable -> {
        final Thread thread = new Thread(runnable, "ferry-daemon-worker");
        thread.setDaemon(true);
        return thread;
    });
    private final Thread acceptor;
    private final AtomicBoolean draining = new AtomicBoolean();
    private final CompletableFuture<Integer> stopped = new CompletableFuture<>();

    /**
     * What the daemon is started with: {@code listen} null for one that only sends; {@code log} receives each line
     * the daemon says (stale files removed, the drain's report).
     */
    public record Settings(SocketAddress listen, Path dataDir, Secret secret, SSLContext tls, VerifyMode verify,
        int maxIncoming, int maxOutgoing, long hostBandwidthBytesPerSec, long drainTimeoutMs, long idleTimeoutMs,
        Path countersDirectory, boolean overwrite, Consumer<String> log) {
    }

    private Daemon(final Settings settings) {
        this.settings = settings;
        this.guests = null == settings.dataDir() ? null : new GuestDirectory(settings.dataDir(), settings.overwrite(),
            this::receiving);
        if (null != guests) {
            for (final String removed : guests.removeStalePartials()) {
                settings.log().accept("ferry: removed " + removed + ", the partial guest of a migration that was " +
                    "running when its daemon or receiver stopped (killed or crashed)");
            }
        }
        final MigrationRuntime.Context context = new MigrationRuntime.Context()
            .maxIncoming(settings.maxIncoming())
            .maxOutgoing(settings.maxOutgoing())
            .outgoingWaitMs(OUTGOING_WAIT_MS)
            .hostBandwidthBytesPerSec(settings.hostBandwidthBytesPerSec())
            .countersDirectory(settings.countersDirectory());
        if (null != settings.listen()) {
            final MigrationDestination.Context incoming = new MigrationDestination.Context()
                .listen(settings.listen())
                .memoryFor(guests::factoryFor)
                .secret(settings.secret())
                .tls(settings.tls())
                .verify(settings.verify())
                .warnings(message -> settings.log().accept("ferry: warning: " + message));
            if (settings.idleTimeoutMs() > 0) {
                incoming.idleTimeoutMs(settings.idleTimeoutMs());
            }
            context.incoming(incoming);
        }
        this.runtime = MigrationRuntime.start(context);
        this.acceptor = new Thread(this::acceptIncoming, "ferry-daemon-accept");
        acceptor.setDaemon(true);
    }

    /** Whether an incoming migration holds the guest name now (from its SETUP on); false before the runtime is. */
    private boolean receiving(final String name) {
        final MigrationRuntime started = runtime;
        return null != started && started.isReceiving(name);
    }

    /** Removes stale partial guests from the data directory (saying so), binds the endpoint and starts taking. */
    public static Daemon start(final Settings settings) {
        final Daemon daemon = new Daemon(settings);
        if (null != settings.listen()) {
            daemon.acceptor.start();
        }
        return daemon;
    }

    public Settings settings() {
        return settings;
    }

    /** The bound incoming endpoint (useful with port 0), or null for a daemon that only sends. */
    public SocketAddress localAddress() {
        return runtime.localAddress();
    }

    MigrationRuntime runtime() {
        return runtime;
    }

    GuestDirectory guests() {
        return guests;
    }

    public boolean isDraining() {
        return draining.get();
    }

    /** Completes with the exit code once the daemon has drained and stopped. */
    public CompletableFuture<Integer> stopped() {
        return stopped;
    }

    /**
     * Queues an outgoing migration: the memory file is mapped and the request checked now (a 400 for what is wrong),
     * then it waits for one of the --max-outgoing places and runs.
     */
    TrackedMigration submit(final SendRequest request) {
        final GuestMemory memory = request.mapMemory();
        try {
            sourceContext(request, memory).conclude(); // the engine's own checks, on a copy: a 400 now, not a failure later
        } catch (final FerryException ex) {
            memory.close();
            throw new ApiException(400, ex.code(), null, ex.getMessage());
        }
        final TrackedMigration tracked = new TrackedMigration("out-" + nextOut.incrementAndGet(), "source",
            request.name(), request.memoryFile());
        synchronized (migrations) { // the drain's list of migrations either has this one or it was refused
            if (draining.get()) {
                memory.close();
                throw new FerryException(ErrorCode.RUNTIME_BUSY, "the daemon is draining: it takes no new migration");
            }
            migrations.put(tracked.id(), tracked);
        }
        workers.execute(() -> runOutgoing(tracked, request, memory));
        return tracked;
    }

    private MigrationSource.Context sourceContext(final SendRequest request, final GuestMemory memory) {
        return request.context().memory(memory).secret(settings.secret()).tls(settings.tls());
    }

    /** On a worker: waits for a place, runs the migration, and ends its entry; the mapping is closed at the end. */
    private void runOutgoing(final TrackedMigration tracked, final SendRequest request, final GuestMemory memory) {
        tracked.starter(Thread.currentThread());
        try (memory) {
            final MigrationSource source;
            try {
                if (tracked.cancelRequested()) {
                    throw new InterruptedException();
                }
                source = runtime.send(sourceContext(request, memory));
            } catch (final InterruptedException ex) {
                tracked.endBeforeStart(ErrorCode.CANCELLED, "cancelled while queued, before it started");
                return;
            } catch (final FerryException ex) {
                tracked.endBeforeStart(ex.code(), ex.getMessage());
                return;
            }
            tracked.running(source);
            if (tracked.cancelRequested()) {
                source.cancel("cancelled through the control API");
            }
            try (source) {
                tracked.end(source.result().join());
            }
        } catch (final RuntimeException ex) {
            tracked.endBeforeStart(ErrorCode.INTERNAL, "the daemon could not run it: " + ex);
        } finally {
            tracked.starterDone(); // from now on a cancel does not interrupt this thread
            Thread.interrupted(); // a cancel that came late must not leak into the next task of this worker
            forgetOldEnded();
        }
    }

    /** Takes each incoming migration as its source connects, until the drain; each is ended on a worker. */
    private void acceptIncoming() {
        while (!draining.get()) {
            try {
                final Migration next = runtime.nextIncoming(ACCEPT_POLL_MS, TimeUnit.MILLISECONDS);
                if (null != next) {
                    final TrackedMigration tracked = new TrackedMigration("in-" + nextIn.incrementAndGet(),
                        "destination", null, null);
                    tracked.running(next);
                    track(tracked);
                    workers.execute(() -> endIncoming(tracked, next));
                }
            } catch (final InterruptedException ex) {
                return;
            } catch (final RuntimeException ex) {
                settings.log().accept("ferry: warning: taking an incoming migration failed: " + ex.getMessage());
            }
        }
    }

    private void endIncoming(final TrackedMigration tracked, final Migration migration) {
        try (migration) {
            final MigrationResult result = migration.result().join();
            final GuestMemory memory = result.memory();
            if (null != memory) { // on disk already: the file factory forced it before it named the guest
                memory.close();
                guests.received(result.stats().guest(), result.verified());
            }
            tracked.end(result);
        } finally {
            forgetOldEnded();
        }
    }

    private void track(final TrackedMigration tracked) {
        synchronized (migrations) {
            migrations.put(tracked.id(), tracked);
        }
    }

    private void forgetOldEnded() {
        synchronized (migrations) {
            int ended = 0;
            for (final TrackedMigration tracked : migrations.values()) {
                ended += tracked.isEnded() ? 1 : 0;
            }
            for (final Iterator<TrackedMigration> it = migrations.values().iterator(); ended > KEPT_ENDED &&
                it.hasNext();) {
                if (it.next().isEnded()) {
                    it.remove();
                    ended--;
                }
            }
        }
    }

    /** The migration {@code id}, or a 404. */
    TrackedMigration get(final String id) {
        synchronized (migrations) {
            final TrackedMigration tracked = migrations.get(id);
            if (null == tracked) {
                throw ApiException.notFound("no migration '" + id + "' (ended ones are kept, the last " +
                    KEPT_ENDED + ")");
            }
            return tracked;
        }
    }

    /** The migrations that {@code filter} takes, oldest first. */
    List<TrackedMigration> list(final Predicate<TrackedMigration> filter) {
        final List<TrackedMigration> all;
        synchronized (migrations) {
            all = new ArrayList<>(migrations.values());
        }
        all.removeIf(filter.negate());
        return all;
    }

    /**
     * Drains (once; later calls get the same future): no new migration in or out, queued ones cancelled, running
     * ones given --drain-timeout to finish and then cancelled cleanly; completes with 0 if every migration running
     * at the drain ended completed or cancelled, else 1, after one report through the log.
     */
    public CompletableFuture<Integer> shutdown(final String reason) {
        final boolean first;
        synchronized (migrations) {
            first = draining.compareAndSet(false, true);
        }
        if (first) {
            final Thread drain = new Thread(() -> drainAndStop(reason), "ferry-daemon-drain");
            drain.start();
        }
        return stopped;
    }

    private void drainAndStop(final String reason) {
        try {
            runtime.drain();
            acceptor.interrupt();
            acceptor.join(); // every incoming migration it took is listed
            final List<TrackedMigration> atDrain = list(tracked -> !tracked.isEnded());
            settings.log().accept("ferry: draining (" + reason + "): no new migration is taken; " + atDrain.size() +
                " running or queued have up to " + settings.drainTimeoutMs() + " ms to finish");
            for (final TrackedMigration tracked : atDrain) {
                if (null == tracked.migration()) {
                    tracked.cancel("the daemon is draining");
                }
            }
            final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(settings.drainTimeoutMs());
            final List<String> cancelled = new ArrayList<>();
            for (final TrackedMigration tracked : atDrain) {
                if (!awaitEnd(tracked, deadline - System.nanoTime()) && tracked.cancel("the daemon was stopped and " +
                    "its drain timeout of " + settings.drainTimeoutMs() + " ms passed")) {
                    cancelled.add(tracked.id());
                }
            }
            final String bytes = "sent " + Units.bytes(runtime.bytesOut()) + ", received " +
                Units.bytes(runtime.bytesIn()) + " since start";
            runtime.close();
            if (null != guests) {
                guests.discardPrepared();
            }
            final long closeDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            atDrain.forEach(tracked -> awaitEnd(tracked, closeDeadline - System.nanoTime()));
            stopped.complete(report(reason, atDrain, cancelled, bytes));
        } catch (final RuntimeException | InterruptedException ex) {
            settings.log().accept("ferry: error: the drain failed: " + ex);
            stopped.complete(1);
        } finally {
            workers.shutdownNow();
        }
    }

    private static boolean awaitEnd(final TrackedMigration tracked, final long nanos) {
        try {
            tracked.ended().get(Math.max(0, nanos), TimeUnit.NANOSECONDS);
            return true;
        } catch (final InterruptedException ex) {
            Thread.currentThread().interrupt();
            return false;
        } catch (final Exception ex) {
            return tracked.isEnded();
        }
    }

    /** The one report of the drain, line by line to the log; the exit code. */
    private int report(final String reason, final List<TrackedMigration> atDrain, final List<String> cancelled,
        final String bytes) {
        boolean clean = true;
        for (final TrackedMigration tracked : atDrain) {
            final boolean ok = tracked.endedCleanly();
            clean &= ok;
            final MigrationResult result = tracked.result();
            settings.log().accept("ferry:   " + tracked.id() + " " + tracked.role() + " " + tracked.name() + ": " +
                tracked.state() + (cancelled.contains(tracked.id()) ? " (cancelled at the drain timeout)" : "") +
                (null != result && result.verified() ? ", verified" : "") +
                (null != result && null != result.stats().error() && !cancelled.contains(tracked.id()) ? " (" +
                result.stats().error() + ")" : ""));
        }
        final List<TrackedMigration> all = list(tracked -> true);
        final long out = all.stream().filter(TrackedMigration::isSource).count();
        settings.log().accept("ferry: daemon stopped (" + reason + "): " + atDrain.size() + " migration" +
            (atDrain.size() == 1 ? " was" : "s were") + " running or queued at the drain; " + out + " out and " +
            (all.size() - out) + " in listed; " + bytes + "; exit " +
            (clean ? 0 : 1));
        return clean ? 0 : 1;
    }

    /** Drains (as {@link #shutdown}) and waits for it. */
    @Override
    public void close() {
        shutdown("closed").join();
    }
}
