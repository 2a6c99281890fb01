package dev.ferry.engine;

import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;

import java.nio.file.Path;
import java.util.Objects;
import java.util.concurrent.ThreadFactory;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;

/**
 * What both sides' Contexts configure alike: the secret, verification, the barrier's timeout, digest threads, how
 * the engine's threads are made and idle, and where its counters are published. Fluent, Aeron-style: setters
 * return the concrete Context, accessors have no prefix, and {@link #conclude()} validates once.
 *
 * @param <C> the concrete Context.
 */
public abstract class EngineContext<C extends EngineContext<C>> {
    private Secret secret;
    private VerifyMode verify = VerifyMode.FULL;
    private long barrierTimeoutMs = 60_000;
    private int digestThreads = Math.max(1, Runtime.getRuntime().availableProcessors());
    private ThreadFactory threadFactory = Contexts.DAEMON_THREADS;
    private Supplier<IdleStrategy> idleStrategy = () -> new BackoffIdleStrategy(64, 16, 1_000, 100_000);
    private Path countersDirectory;
    private SSLContext tls;
    private boolean concluded;

    EngineContext() {
        ColdStart.prepareInBackground();
    }

    @SuppressWarnings("unchecked")
    private C self() {
        return (C)this;
    }

    /** The shared secret, or {@link Secret#insecure()}; required. */
    public C secret(final Secret secret) {
        mutable();
        this.secret = secret;
        return self();
    }

    public Secret secret() {
        return secret;
    }

    /** Whether both sides digest their memory at the end; both sides must agree. Default full. */
    public C verify(final VerifyMode verify) {
        mutable();
        this.verify = verify;
        return self();
    }

    public VerifyMode verify() {
        return verify;
    }

    /**
     * Longest wait at the SYNC/FLUSH barrier (on the source also for a free packet of a stalled channel, and for a
     * channel to drain); default 60 s.
     */
    public C barrierTimeoutMs(final long barrierTimeoutMs) {
        mutable();
        this.barrierTimeoutMs = barrierTimeoutMs;
        return self();
    }

    public long barrierTimeoutMs() {
        return barrierTimeoutMs;
    }

    /** Threads digesting memory for verification; default one per core. */
    public C digestThreads(final int digestThreads) {
        mutable();
        this.digestThreads = digestThreads;
        return self();
    }

    public int digestThreads() {
        return digestThreads;
    }

    /** Makes every thread of the engine (conductor, agents, readers, watchdog, digest); default: daemon threads. */
    public C threadFactory(final ThreadFactory threadFactory) {
        mutable();
        this.threadFactory = threadFactory;
        return self();
    }

    public ThreadFactory threadFactory() {
        return threadFactory;
    }

    /** Makes the idle strategy of each agent and of the conductor's waits; default a short back-off. */
    public C idleStrategy(final Supplier<IdleStrategy> idleStrategy) {
        mutable();
        this.idleStrategy = idleStrategy;
        return self();
    }

    public Supplier<IdleStrategy> idleStrategy() {
        return idleStrategy;
    }

    /** Publish the counters in a file in this directory, for {@code ferry stat}; default: not published. */
    public C countersDirectory(final Path countersDirectory) {
        mutable();
        this.countersDirectory = countersDirectory;
        return self();
    }

    public Path countersDirectory() {
        return countersDirectory;
    }

    /**
     * Mutual TLS 1.3 on every connection, with the keys and trust of {@code tls} (for files, see
     * {@link dev.ferry.engine.TlsFiles}); null (the default) for none. Peers are identified by the trust
     * material, never by host name. Works with the shared secret (both checks apply) and without it (give
     * {@code Secret.insecure()}: TLS alone then authenticates).
     */
    public C tls(final SSLContext tls) {
        mutable();
        this.tls = tls;
        return self();
    }

    public SSLContext tls() {
        return tls;
    }

    /**
     * Checks every value once; throws a {@code FerryException} (CONFIGURATION) naming the first bad one, or if this
     * context was concluded before (a context configures one migration).
     */
    public C conclude() {
        Contexts.require(!concluded, "this context was concluded already: a context configures one migration");
        concludeSide();
        Contexts.require(null != secret, "no secret: give a secret file, or say --insecure on both sides");
        Objects.requireNonNull(verify, "verify");
        Contexts.require(barrierTimeoutMs > 0, "barrier timeout " + barrierTimeoutMs + " ms must be positive");
        Contexts.require(digestThreads >= 1, "digest threads " + digestThreads + " must be >= 1");
        Objects.requireNonNull(threadFactory, "threadFactory");
        Objects.requireNonNull(idleStrategy, "idleStrategy");
        concluded = true;
        return self();
    }

    /**
     * Refuses a change once concluded: the engine reads this Context as its configuration for the whole migration
     * (live changes go through the facade: {@code MigrationSource.downtimeLimit}, {@code maxBandwidth}).
     */
    final void mutable() {
        Contexts.require(!concluded, "this context was concluded: a running migration's settings do not change " +
            "(a context configures one migration)");
    }

    /** The checks of one side's own values. */
    abstract void concludeSide();
}
