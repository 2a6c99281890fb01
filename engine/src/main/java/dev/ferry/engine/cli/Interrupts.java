package dev.ferry.engine.cli;

import dev.ferry.engine.api.MigrationResult;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Ctrl-C (or SIGTERM) during a migration cancels it cleanly instead of killing the JVM mid-way: the peer is told,
 * the source resumes its guest, the destination deletes its partial memory file. The hook waits a few seconds for
 * that to finish and reports the outcome itself, since the JVM halts as soon as the hook returns.
 */
final class Interrupts implements AutoCloseable {
    static final String REASON = "interrupted (Ctrl-C or SIGTERM)";
    private static final long GRACE_MS = 5_000;
    private final Thread hook;

    private Interrupts(
        final Consumer<String> cancel, final CompletableFuture<MigrationResult> result,
        final Consumer<MigrationResult> report) {
        this.hook = new Thread(() -> {
            if (!result.isDone()) {
                cancel.accept(REASON);
                try {
                    report.accept(result.get(GRACE_MS, TimeUnit.MILLISECONDS));
                } catch (final Exception ignore) {
                    // the JVM is going down; what could be done was done.
                }
            }
        }, "ferry-interrupt");
        Runtime.getRuntime().addShutdownHook(hook);
    }

    /**
     * Cancels with {@code cancel} if the JVM is asked to stop before {@code result} completes, then hands the
     * result to {@code report}.
     */
    static Interrupts cancelOnShutdown(
        final Consumer<String> cancel, final CompletableFuture<MigrationResult> result,
        final Consumer<MigrationResult> report) {
        return new Interrupts(cancel, result, report);
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
