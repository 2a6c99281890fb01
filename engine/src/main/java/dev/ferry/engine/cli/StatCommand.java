package dev.ferry.engine.cli;

import dev.ferry.engine.ErrorCode;
import dev.ferry.engine.FerryException;
import dev.ferry.engine.stats.CountersDirectory;
import dev.ferry.engine.stats.CountersFile;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;

/**
 * {@code ferry stat [DIR]}: the live counters of every migration running on this machine, read from their counters
 * files while they run (as AeronStat does for Aeron). One line per counter: process id, role, label, value. Whatever
 * else the directory holds (a corrupt file, a FIFO, a link, a label with terminal escapes) is skipped and named on
 * stderr, one line each, never shown raw: one bad file must not hide the live migrations beside it.
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
    public Integer call() {
        final PrintWriter out = spec.commandLine().getOut();
        final PrintWriter err = spec.commandLine().getErr();
        final Path dir = null != directory ? directory : defaultDirectory();
        final List<String> skipped = new ArrayList<>();
        final List<CountersFile.Sample> samples;
        try {
            samples = CountersFile.readAll(dir, skipped::add);
        } catch (final IOException ex) {
            throw new FerryException(ErrorCode.CONFIGURATION, "cannot list the counters directory " + dir + ": " +
                CountersDirectory.reason(ex));
        }
        final Set<String> staleFiles = new TreeSet<>();
        boolean live = false;
        for (final CountersFile.Sample sample : samples) {
            if (sample.alive()) {
                live = true;
                out.printf("%d %s %s %d%n", sample.pid(), sample.role(), sample.label(), sample.value());
            } else {
                staleFiles.add(sample.file());
            }
        }
        for (final String file : skipped) {
            err.println("ferry: skipped " + file);
        }
        if (!live) {
            err.println("ferry: no running migration publishes counters in " + dir);
        }
        if (!staleFiles.isEmpty()) {
            err.println("ferry: skipped " + staleFiles.size() + " counters file" + (staleFiles.size() == 1 ? "" : "s") +
                " of processes that are gone (left by a crash)");
        }
        out.flush();
        err.flush();
        return FerryCli.EXIT_COMPLETED;
    }
}
