package dev.ferry.engine.cli;

import dev.ferry.engine.FerryException;
import dev.ferry.engine.MigrationResult;
import dev.ferry.engine.MigrationStatus;
import dev.ferry.engine.VerifyMode;
import dev.ferry.engine.stats.CountersDirectory;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;

/** Options every command shares, and the exit-code rule. */
final class CommonOptions {
    @Option(names = "--stats-json", paramLabel = "OUT", description = "Write the final statistics as JSON to OUT.")
    Path statsJson;

    @Option(names = "--verify", paramLabel = "full|none",
        description = "Compare digests of both sides' memory after APPLIED (default: ${DEFAULT-VALUE}).")
    String verify;

    @Option(names = "--hlog", paramLabel = "FILE",
        description = "Write the latency histograms (HdrHistogram log, nanoseconds) to FILE at the end.")
    Path hlog;

    @Option(names = "--verbose", description = "Print stack traces with errors.")
    boolean verbose;

    @Option(names = "--counters-dir", paramLabel = "DIR",
        description = "Publish live counters for 'ferry stat' in DIR, a private directory: made with mode 0700, " +
            "refused if a link, another user's or writable by others (default: $" + StatCommand.COUNTERS_ENV +
            ", else /dev/shm/ferry-USER or the temp directory).")
    Path countersDir;

    private boolean reported;

    /**
     * Where this process publishes its counters: the directory is made (mode 0700) or checked here, before any page
     * moves, so a planted or unsafe one is a usage error (exit 2) that says how to choose another.
     */
    Path countersDirectory() {
        return CountersDirectory.prepare(null != countersDir ? countersDir : StatCommand.defaultDirectory(),
            "another with --counters-dir DIR or $" + StatCommand.COUNTERS_ENV);
    }

    VerifyMode verifyMode() {
        return VerifyMode.parse(verify);
    }

    /**
     * Checks the output files and the counters directory now, before any memory is made or any migration starts:
     * one that cannot be written, or a planted directory, is a usage error (exit 2) discovered in the first second,
     * not after the migration.
     */
    void checkOutputs() {
        OutputFile.check(statsJson, "--stats-json");
        OutputFile.check(hlog, "--hlog");
        countersDirectory();
    }

    private void writeStats(final MigrationResult result) {
        if (null != statsJson) {
            final byte[] json = result.stats().toJson().getBytes(StandardCharsets.UTF_8);
            OutputFile.write(statsJson, "--stats-json", out -> {
                try {
                    out.write(json);
                } catch (final IOException ex) {
                    throw new UncheckedIOException(ex);
                }
            });
        }
    }

    /** The end of a run of several guests: --stats-json as an array of their objects, in the order they came in. */
    void reportMany(final List<MigrationResult> results) {
        if (null != statsJson) {
            final StringBuilder json = new StringBuilder("[\n");
            for (int i = 0; i < results.size(); i++) {
                json.append(results.get(i).stats().toJson().strip()).append(i + 1 < results.size() ? ",\n" : "\n");
            }
            final byte[] bytes = json.append("]\n").toString().getBytes(StandardCharsets.UTF_8);
            OutputFile.write(statsJson, "--stats-json", out -> {
                try {
                    out.write(bytes);
                } catch (final IOException ex) {
                    throw new UncheckedIOException(ex);
                }
            });
        }
    }

    /** Writes the histogram log with {@code writer} if --hlog was given. */
    private void writeHistograms(final Consumer<OutputStream> writer) {
        if (null != hlog) {
            OutputFile.write(hlog, "--hlog", writer);
        }
    }

    /** The end of a run: --stats-json, --hlog, and the report (and why an unknown outcome matters) on {@code err}. */
    synchronized void report(
        final MigrationResult result, final PrintWriter err,
        final Consumer<OutputStream> histograms) {
        // Once, and whole: the Ctrl-C hook and the command's own thread may both get here, and the hook halts the
        // JVM as soon as its call returns, so the second caller waits for the first to finish.
        if (reported) {
            return;
        }
        reported = true;
        err.print(result.stats().toReport());
        // After the report: an output that fails now (the disk filled up) loses a file, not the outcome's line.
        try {
            writeStats(result);
            writeHistograms(histograms);
        } catch (final FerryException ex) {
            err.println("ferry: warning: " + ex.getMessage() + "; the outcome above stands");
        }
        if (result.status() == MigrationStatus.UNKNOWN) {
            err.println("ferry: outcome unknown: the destination holds every page but did not confirm a verified" +
                " result; the guest was left paused. Check the destination before resuming anything.");
        } else if (null != guestLine(result)) {
            err.println(guestLine(result));
        }
        err.flush();
    }

    /**
     * What happened to the source's guest when its migration failed or was cancelled, or null (a destination, or a
     * completion, after which the guest lives on the destination). The engine resumes a guest it paused on any end
     * but completed and unknown; one that ended before the switchover was never paused.
     */
    static String guestLine(final MigrationResult result) {
        final MigrationStatus status = result.status();
        if (!result.stats().isSource() || (status != MigrationStatus.FAILED && status != MigrationStatus.CANCELLED)) {
            return null;
        }
        final String ended = status == MigrationStatus.CANCELLED ? "cancelled" : "failed";
        return null == result.stats().convergence().switchoverReason() ?
            "ferry: the guest was never paused: the migration " + ended + " before the switchover, and it runs on here." :
            "ferry: the guest was paused for the switchover and has been resumed: the migration " + ended +
                " before the destination took over, and it runs on here.";
    }

    /** 0 completed (and verified unless --verify none), else 1. */
    int exitCode(final MigrationResult result) {
        final boolean ok = result.isCompleted() && (result.verified() || verifyMode() == VerifyMode.NONE);
        return ok ? 0 : 1;
    }
}
