package dev.ferry.engine.cli;

import dev.ferry.engine.stats.CountersFile;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code ferry stat [DIR]}: the live counters of every migration running on this machine, read from their counters
 * files while they run (as AeronStat does for Aeron). One line per counter: process id, role, label, value.
 */
@Command(name = "stat", mixinStandardHelpOptions = true,
    description = "Print the live counters of every running migration: PID ROLE LABEL VALUE, one line each.")
final class StatCommand implements Callable<Integer> {
    /** The environment variable naming the counters directory, for every command. */
    static final String COUNTERS_ENV = "FERRY_COUNTERS_DIR";

    @Spec
    CommandSpec spec;

    @Parameters(arity = "0..1", paramLabel = "DIR",
        description = "Counters directory (default: $" + COUNTERS_ENV + ", else /dev/shm/ferry-USER or the temp " +
            "directory).")
    Path directory;

    /** $FERRY_COUNTERS_DIR, else /dev/shm/ferry-USER, else the temporary directory's ferry-USER. */
    static Path defaultDirectory() {
        final String env = System.getenv(COUNTERS_ENV);
        return null != env && !env.isEmpty() ? Path.of(env) : CountersFile.defaultDirectory();
    }

    @Override
    public Integer call() throws IOException {
        final PrintWriter out = spec.commandLine().getOut();
        final PrintWriter err = spec.commandLine().getErr();
        final Path dir = null != directory ? directory : defaultDirectory();
        final List<CountersFile.Sample> samples = CountersFile.readAll(dir);
        long stale = 0;
        for (final CountersFile.Sample sample : samples) {
            if (sample.alive()) {
                out.printf("%d %s %s %d%n", sample.pid(), sample.role(), sample.label(), sample.value());
            } else {
                stale++;
            }
        }
        if (samples.size() == stale) {
            err.println("ferry: no running migration publishes counters in " + dir);
        }
        if (stale > 0) {
            err.println("ferry: skipped " + stale + " counters of processes that are gone (left by a crash)");
        }
        out.flush();
        err.flush();
        return FerryCli.EXIT_COMPLETED;
    }
}
