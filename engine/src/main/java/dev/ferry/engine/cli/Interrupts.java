package dev.ferry.engine.cli;

import dev.ferry.engine.MigrationResult;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Ctrl-C (or SIGTERM) during a migration cancels it cleanly instead of killing the JVM mid-way: the peer is told,
 * the source resumes its guest, the destination deletes its partial memory file. The hook waits a few seconds for
 * that to finish, reports the outcome itself (once: the command's own report is then skipped), closes the
 * migration (removing its counters file) and halts with exit status 1, as docs/operations.md promises.
 */
final class Interrupts implements AutoCloseable {
    static final String REASON = "interrupted (Ctrl-C or SIGTERM)";
    private static final long GRACE_MS = 5_000;
    private final Thread hook;

    private Interrupts(
        final Consumer<String> cancel, final CompletableFuture<MigrationResult> result,
        final Consumer<MigrationResult> report, final Runnable close) {
        this.hook = new Thread(() -> {
            if (!result.isDone()) {
                cancel.accept(REASON);
                try {
                    report.accept(result.get(GRACE_MS, TimeUnit.MILLISECONDS));
                    close.run();
                } catch (final Exception ignore) {
                    // the JVM is going down; what could be done was done.
                }
                Runtime.getRuntime().halt(FerryCli.EXIT_FAILED);
            }
        }, "ferry-interrupt");
        Runtime.getRuntime().addShutdownHook(hook);
    }

    /**
     * Cancels with {@code cancel} if the JVM is asked to stop before {@code result} completes, hands the result to
     * {@code report}, runs {@code close} and halts with exit status 1.
     */
    static Interrupts cancelOnShutdown(
        final Consumer<String> cancel, final CompletableFuture<MigrationResult> result,
        final Consumer<MigrationResult> report, final Runnable close) {
        return new Interrupts(cancel, result, report, close);
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
