package dev.ferry.engine.verify;

import dev.ferry.engine.ErrorCode;
import dev.ferry.engine.FerryException;
import dev.ferry.engine.text.ErrorText;
import dev.ferry.memory.GuestMemory;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;

/**
 * One side's digest of its own memory ({@link Verification#digest}), started on a thread of its own as soon as that
 * memory is final, so that it overlaps what the migration still has to do: the source starts it when it pauses the
 * guest (the final round's pages are read, not written, from then on), the destination at APPLIED. Awaited when its
 * result is needed, and stopped (and joined) before memory is ever unmapped.
 */
public final class BackgroundDigest {
    private final CompletableFuture<List<int[]>> digests = new CompletableFuture<>();
    private final AtomicBoolean stop = new AtomicBoolean();
    private final Thread thread;
    private final String what;

    private BackgroundDigest(final GuestMemory memory, final int threads, final ThreadFactory threadFactory,
        final BooleanSupplier abort, final String role, final String what) {
        this.what = what;
        thread = threadFactory.newThread(() -> {
            try {
                digests.complete(Verification.digest(memory, threads, () -> stop.get() || abort.getAsBoolean(),
                    threadFactory));
            } catch (final RuntimeException ex) {
                digests.completeExceptionally(ex);
            }
        });
        thread.setName("ferry-digest-" + role);
    }

    /**
     * Starts digesting {@code memory} with {@code threads} threads made by {@code threadFactory}; {@code abort} stops
     * it early (the migration is failing); {@code role} ("source", "destination") names its thread, {@code what}
     * the memory in errors ("the received memory").
     */
    public static BackgroundDigest start(final GuestMemory memory, final int threads, final ThreadFactory threadFactory,
        final BooleanSupplier abort, final String role, final String what) {
        final BackgroundDigest digest = new BackgroundDigest(memory, threads, threadFactory, abort, role, what);
        digest.thread.start();
        return digest;
    }

    /** The digests, waiting at most {@code timeoutMs}. */
    public List<int[]> await(final long timeoutMs) {
        try {
            return digests.get(timeoutMs, TimeUnit.MILLISECONDS);
        } catch (final TimeoutException ex) {
            throw new FerryException(ErrorCode.TIMEOUT, "digesting " + what + " took longer than " + timeoutMs + " ms");
        } catch (final InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new FerryException(ErrorCode.CANCELLED, "interrupted while digesting " + what);
        } catch (final ExecutionException ex) {
            if (ex.getCause() instanceof FerryException failure) {
                throw failure;
            }
            throw new FerryException(ErrorCode.INTERNAL, "digesting " + what + " failed: " + ErrorText.of(ex.getCause()),
                ex.getCause());
        }
    }

    /** Stops a digest still reading memory and waits for it; true once it has ended. */
    public boolean stop(final long timeoutMs) {
        stop.set(true);
        try {
            thread.join(timeoutMs);
        } catch (final InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
        return !thread.isAlive();
    }
}
