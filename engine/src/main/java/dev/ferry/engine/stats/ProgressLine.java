package dev.ferry.engine.stats;

import java.io.PrintWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.function.Supplier;

/**
 * A single updating status line on a terminal while a migration runs: status, round, bytes sent against the guest
 * size, throughput, what is still dirty, expected downtime. Silent when standard error is not a terminal, so logs
 * and pipes get only the final report.
 */
public final class ProgressLine implements AutoCloseable {
    private static final long PERIOD_MS = 250;

    private final Supplier<MigrationStats> stats;
    private final PrintWriter out;
    private final Thread thread;
    private volatile boolean running = true;
    private int lastLength;

    /** Starts printing {@code stats} to {@code out} if {@code enabled}. */
    public ProgressLine(final Supplier<MigrationStats> stats, final PrintWriter out, final boolean enabled) {
        this.stats = stats;
        this.out = out;
        this.thread = new Thread(this::run, "ferry-progress");
        this.thread.setDaemon(true);
        if (enabled) {
            thread.start();
        }
    }

    /**
     * True when standard error, where the line goes, is a terminal. {@code System.console()} on JDK 17 speaks of
     * standard input and output instead, so on Linux this asks what file descriptor 2 is; elsewhere it falls back to
     * the console.
     */
    public static boolean isTerminal() {
        final Path stderr = Path.of("/proc/self/fd/2");
        try {
            final String target = Files.readSymbolicLink(stderr).toString();
            return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
        } catch (final IOException | UnsupportedOperationException | SecurityException ex) {
            return null != System.console();
        }
    }

    private void run() {
        while (running) {
            print(format(stats.get()));
            try {
                Thread.sleep(PERIOD_MS);
            } catch (final InterruptedException ex) {
                return;
            }
        }
    }

    static String format(final MigrationStats s) {
        if ("destination".equals(s.role())) {
            return String.format(Locale.ROOT, "[%-9s] round %d  received %s (guest %s)  %s/s", s.status(),
                s.rounds(), Units.bytes(s.transferredBytes()), Units.bytes(s.totalBytes()),
                Units.bytes(s.throughputBytesPerSec()));
        }
        return String.format(Locale.ROOT, "[%-9s] round %d  sent %s (guest %s)  %s/s  left in round %s  expected downtime %d ms",
            s.status(), Math.max(0, s.rounds() - 1), Units.bytes(s.transferredBytes()), Units.bytes(s.totalBytes()),
            Units.bytes(s.throughputBytesPerSec()), Units.bytes(s.remainingBytes()), s.expectedDowntimeMs());
    }

    private synchronized void print(final String line) {
        final StringBuilder text = new StringBuilder("\r").append(line);
        for (int i = line.length(); i < lastLength; i++) {
            text.append(' ');
        }
        lastLength = line.length();
        out.print(text);
        out.flush();
    }

    /** Stops and ends the line, so the report starts on its own line. */
    @Override
    public void close() {
        if (!running) {
            return;
        }
        running = false;
        if (thread.isAlive()) {
            thread.interrupt();
            try {
                thread.join(1_000);
            } catch (final InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
            out.println();
        }
    }
}
