package dev.ferry.engine.destination;

import dev.ferry.engine.error.ErrorCode;
import dev.ferry.engine.error.ErrorText;
import dev.ferry.engine.error.FerryException;
import dev.ferry.engine.verify.Verification;
import dev.ferry.memory.GuestMemory;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;

/**
 * The destination's digest of its own memory, started at APPLIED on a thread of its own so that it overlaps the
 * source's digest, awaited at VERIFY, and stopped (and joined) before memory is ever unmapped.
 */
final class DestinationDigest {
    private final CompletableFuture<List<int[]>> digests = new CompletableFuture<>();
    private final AtomicBoolean stop = new AtomicBoolean();
    private final Thread thread;

    private DestinationDigest(final GuestMemory memory, final DestinationConfig config, final BooleanSupplier abort) {
        thread = config.threadFactory().newThread(() -> {
            try {
                digests.complete(Verification.digest(memory, config.digestThreads(),
                    () -> stop.get() || abort.getAsBoolean(), config.threadFactory()));
            } catch (final RuntimeException ex) {
                digests.completeExceptionally(ex);
            }
        });
        thread.setName("ferry-digest-destination");
    }

    /** Starts digesting {@code memory}; {@code abort} stops it early (the migration is failing). */
    static DestinationDigest start(final GuestMemory memory, final DestinationConfig config, final BooleanSupplier abort) {
        final DestinationDigest digest = new DestinationDigest(memory, config, abort);
        digest.thread.start();
        return digest;
    }

    /** The digests, waiting at most {@code timeoutMs}. */
    List<int[]> await(final long timeoutMs) {
        try {
            return digests.get(timeoutMs, TimeUnit.MILLISECONDS);
        } catch (final TimeoutException ex) {
            throw new FerryException(ErrorCode.TIMEOUT, "digesting the received memory took longer than " + timeoutMs +
                " ms");
        } catch (final InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new FerryException(ErrorCode.CANCELLED, "interrupted while digesting the received memory");
        } catch (final ExecutionException ex) {
            if (ex.getCause() instanceof FerryException failure) {
                throw failure;
            }
            if (ex.getCause() instanceof TimeoutException) {
                throw new FerryException(ErrorCode.TIMEOUT, "digesting the received memory timed out: " +
                    ex.getCause().getMessage());
            }
            throw new FerryException(ErrorCode.INTERNAL, "digesting the received memory failed: " +
                ErrorText.of(ex.getCause()), ex.getCause());
        }
    }

    /** Stops a digest still reading memory and waits for it; true once it has ended. */
    boolean stop(final long timeoutMs) {
        stop.set(true);
        try {
            thread.join(timeoutMs);
        } catch (final InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
        return !thread.isAlive();
    }
}
