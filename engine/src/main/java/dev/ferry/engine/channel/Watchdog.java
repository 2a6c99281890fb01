package dev.ferry.engine.channel;

import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;

/**
 * One engine's deadlines: closes a connection that overstays one (which unblocks any thread reading or writing it;
 * blocking socket channels ignore {@code SO_TIMEOUT}) and runs periodic checks. Actions must not block: they close
 * a connection or post to a conductor's inbox. Each engine owns one and closes it when it ends.
 */
public final class Watchdog implements AutoCloseable {
    private final ScheduledExecutorService scheduler;

    public Watchdog(final ThreadFactory threadFactory) {
        final ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, runnable -> {
            final Thread thread = threadFactory.newThread(runnable);
            thread.setName("ferry-watchdog");
            return thread;
        });
        executor.setRemoveOnCancelPolicy(true);
        executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        this.scheduler = executor;
    }

    /** Runs {@code action} after {@code delayMs} unless the returned future is cancelled first. */
    public ScheduledFuture<?> after(final long delayMs, final Runnable action) {
        return scheduler.schedule(action, delayMs, TimeUnit.MILLISECONDS);
    }

    /** Runs {@code action} every {@code periodMs} until the returned future is cancelled. */
    public ScheduledFuture<?> every(final long periodMs, final Runnable action) {
        return scheduler.scheduleAtFixedRate(action, periodMs, periodMs, TimeUnit.MILLISECONDS);
    }

    /** Closes {@code connection} after {@code delayMs} unless the returned future is cancelled first. */
    public ScheduledFuture<?> closeAfter(final Connection connection, final long delayMs) {
        return after(delayMs, connection::close);
    }

    /** Cancels every pending deadline and ends the scheduler's thread. */
    @Override
    public void close() {
        scheduler.shutdownNow();
    }
}
