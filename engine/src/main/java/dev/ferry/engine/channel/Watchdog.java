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

    /**
     * Runs {@code action} after {@code delayMs} on a thread of its own: for work that may block (failing a migration
     * writes to a socket), which must never hold up this scheduler's one thread and the deadlines it keeps.
     */
    public static ScheduledFuture<?> afterOnOwnThread(final long delayMs, final String name, final Runnable action) {
        return after(delayMs, () -> onOwnThread(name, action));
    }

    /** Starts {@code action} on a new daemon thread named {@code name}. */
    public static void onOwnThread(final String name, final Runnable action) {
        final Thread thread = new Thread(action, name);
        thread.setDaemon(true);
        thread.start();
    }

    /** Runs {@code action} every {@code periodMs} until the returned future is cancelled; it must not block. */
    public static ScheduledFuture<?> every(final long periodMs, final Runnable action) {
        return SCHEDULER.scheduleAtFixedRate(action, periodMs, periodMs, TimeUnit.MILLISECONDS);
    }

    /** Closes {@code connection} after {@code delayMs} unless the returned future is cancelled first. */
    public static ScheduledFuture<?> closeAfter(final Connection connection, final long delayMs) {
        return after(delayMs, connection::close);
    }
}
