package dev.ferry.engine.cli;

import dev.ferry.engine.MigrationResult;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Ctrl-C (or SIGTERM) during a migration cancels it cleanly instead of killing the JVM mid-way: the peer is told,
 * the source resumes its guest, the destination deletes its partial memory file. The hook waits a few seconds for
 * that to finish.
 */
final class Interrupts implements AutoCloseable {
    private static final long GRACE_MS = 5_000;
    private final Thread hook;

    private Interrupts(final Runnable cancel, final CompletableFuture<MigrationResult> result) {
        this.hook = new Thread(() -> {
            if (!result.isDone()) {
                cancel.run();
                try {
                    result.get(GRACE_MS, TimeUnit.MILLISECONDS);
                } catch (final Exception ignore) {
                    // the JVM is going down; what could be done was done.
                }
            }
        }, "ferry-interrupt");
        Runtime.getRuntime().addShutdownHook(hook);
    }

    /** Cancels with {@code cancel} if the JVM is asked to stop before {@code result} completes. */
    static Interrupts cancelOnShutdown(final Runnable cancel, final CompletableFuture<MigrationResult> result) {
        return new Interrupts(cancel, result);
    }

    @Override
    public void close() {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (final IllegalStateException ignore) {
            // already shutting down: the hook is running.
        }
    }
}
