package dev.ferry.engine;


import java.util.concurrent.ThreadFactory;

/** What both facades' Contexts share: validation and the default thread factory. */
final class Contexts {
    /** Daemon threads: a migration never keeps the JVM alive on its own. */
    static final ThreadFactory DAEMON_THREADS = runnable -> {
        final Thread thread = new Thread(runnable, "ferry");
        thread.setDaemon(true);
        return thread;
    };

    private Contexts() {
    }

    /** Throws a CONFIGURATION error with {@code message} unless {@code condition}. */
    static void require(final boolean condition, final String message) {
        if (!condition) {
            throw new FerryException(ErrorCode.CONFIGURATION, message);
        }
    }
}
