package dev.ferry.engine.channel;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Closes a connection that overstays a deadline, which unblocks any thread reading or writing it. Blocking socket
 * channels ignore {@code SO_TIMEOUT}, so this is how a handshake or a wait on a silent peer is bounded.
 */
public final class Watchdog {
    private static final ScheduledExecutorService SCHEDULER = Executors.newSingleThreadScheduledExecutor(runnable -> {
        final Thread thread = new Thread(runnable, "ferry-watchdog");
        thread.setDaemon(true);
        return thread;
    });

    private Watchdog() {
    }

    /** Runs {@code action} after {@code delayMs} unless the returned future is cancelled first. */
    public static ScheduledFuture<?> after(final long delayMs, final Runnable action) {
        return SCHEDULER.schedule(action, delayMs, TimeUnit.MILLISECONDS);
    }

    /** Runs {@code action} every {@code periodMs} until the returned future is cancelled. */
    public static ScheduledFuture<?> every(final long periodMs, final Runnable action) {
        return SCHEDULER.scheduleAtFixedRate(action, periodMs, periodMs, TimeUnit.MILLISECONDS);
    }

    /** Closes {@code connection} after {@code delayMs} unless the returned future is cancelled first. */
    public static ScheduledFuture<?> closeAfter(final Connection connection, final long delayMs) {
        return after(delayMs, connection::close);
    }
}
