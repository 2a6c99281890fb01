package dev.ferry.engine.stats;

import dev.ferry.engine.MigrationStats;
import dev.ferry.engine.text.Units;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.function.Supplier;

/**
 * A single updating status line on a terminal while a migration runs. The source's: status, round and the share of
 * it sent, the share of the guest sent at least once, throughput over the last {@value #PERIOD_MS} ms, the dirty
 * rate, the expected downtime and the throttle. The destination's: round, bytes received, throughput. Silent when
 * standard error is not a terminal, so logs and pipes get only the final report.
 */
public final class ProgressLine implements AutoCloseable {
    private static final long PERIOD_MS = 250;
    /** Pages are counted against the guest in units of this size (the engine's page size). */
    private static final long PAGE = 4096;

    private final Supplier<MigrationStats> stats;
    private final PrintWriter out;
    private final Thread thread;
    private volatile boolean running = true;
    private int lastLength;
    private long lastNs;
    private long lastBytes;
    private long rate;
    private long shownRounds;
    private int shownRoundShare;
    private int shownGuestShare;

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
            print(next(stats.get(), System.nanoTime()));
            try {
                Thread.sleep(PERIOD_MS);
            } catch (final InterruptedException ex) {
                return;
            }
        }
    }

    /**
     * The line for {@code s} taken at {@code nowNs}. It never runs backwards: the round and its share only grow
     * (a late snapshot of an earlier moment repeats the figures shown), and so does the share of the guest sent.
     */
    String next(final MigrationStats s, final long nowNs) {
        final long rounds = Math.max(shownRounds, s.rounds());
        final long bytes = s.transferredBytes();
        if (lastNs != 0 && nowNs > lastNs && bytes >= lastBytes) {
            rate = (long)((bytes - lastBytes) * 1e9 / (nowNs - lastNs));
        } else if (lastNs == 0) {
            rate = s.throughputBytesPerSec();
        }
        lastNs = nowNs;
        lastBytes = Math.max(lastBytes, bytes);
        if (!s.isSource()) {
            shownRounds = rounds;
            return String.format(Locale.ROOT, "[%-9s] round %d  received %s (guest %s)  %s/s", s.status(),
                rounds, Units.bytes(lastBytes), Units.bytes(s.totalBytes()), Units.bytes(rate));
        }
        final long roundBytes = s.convergence().roundBytes();
        final int roundShare = roundBytes <= 0 ? 0 :
            (int)Math.min(100, 100 * Math.max(0, roundBytes - s.remainingBytes()) / roundBytes);
        if (s.rounds() > shownRounds) {
            shownRoundShare = roundShare;
        } else if (s.rounds() == shownRounds) {
            shownRoundShare = Math.max(shownRoundShare, roundShare);
        }
        shownRounds = rounds;
        final long pagesSent = s.normalPages() + s.zeroPages();
        final long guestPages = Math.max(1, s.totalBytes() / PAGE);
        shownGuestShare = Math.max(shownGuestShare, (int)Math.min(100, 100 * pagesSent / guestPages));
        return String.format(Locale.ROOT, "[%-9s] round %d %3d%%  guest %3d%% of %s  %s/s  dirty %d pages/s  "
            + "expected downtime %d ms  throttle %d%%", s.status(), Math.max(0, rounds - 1), shownRoundShare,
            shownGuestShare, Units.bytes(s.totalBytes()), Units.bytes(rate), s.dirtyPagesPerSecond(),
            s.expectedDowntimeMs(), s.throttlePercent());
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
