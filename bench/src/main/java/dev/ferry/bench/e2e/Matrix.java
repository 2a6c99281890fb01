package dev.ferry.bench.e2e;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Every scenario (content x destination x channels) and its baselines, run after run: run r does every scenario
 * once, so a slow minute of the machine falls on all of them alike.
 */
final class Matrix {
    private final MigrationBenchmark.Options options;
    private final Path work;

    Matrix(final MigrationBenchmark.Options options, final Path work) {
        this.options = options;
        this.work = work;
    }

    void run() throws Exception {
        MigrationBenchmark.Options.requireRoom(options.sizeBytes * (options.contents.size() + 1));
        final boolean iperf = Participants.ensureIperf(work);
        if (!iperf) {
            System.out.println("iperf3 could not be installed: its baseline is left out");
        }
        final boolean qemu = options.qemu && QemuMigration.ensure(work);
        if (options.qemu && !qemu) {
            System.out.println("qemu-system-x86 could not be installed: the QEMU baseline is left out");
        }
        final QemuMigration qemuMigration = new QemuMigration(work);
        final Map<String, Path> sources = new LinkedHashMap<>();
        for (final String content : options.contents) {
            sources.put(content, MigrationBenchmark.source(work, content, options.sizeBytes));
        }
        final Participants participants = new Participants(work, options.ferryJar);
        final MigrationBenchmark.Series series = new MigrationBenchmark.Series();
        List<double[]> channelSamples = List.of();
        for (int run = 1; run <= options.runs; run++) {
            for (final int channels : options.channels) {
                if (iperf) {
                    series.add("iperf3 -P" + channels, participants.iperf(options.sizeBytes, channels, false));
                    series.add("iperf3 -Z -P" + channels, participants.iperf(options.sizeBytes, channels, true));
                }
                for (final String destination : options.destinations) {
                    for (final String content : options.contents) {
                        final String key = key(content, destination, channels);
                        final Path source = sources.get(content);
                        final boolean sample = run == 1 && channels == 2 && "random".equals(content) &&
                            "fresh".equals(destination);
                        if (qemu) {
                            series.add(key + " qemu", qemuMigration.run(source, options.sizeBytes, destination,
                                channels));
                        }
                        final Participants.FerryRun ferry = ferryRuns(series, participants, key, source,
                            destination, channels, sample);
                        if (sample) {
                            channelSamples = ferry.channelSamples();
                        }
                        series.add(key + " raw transferTo", participants.raw(source, options.sizeBytes, destination,
                            channels, true));
                        series.add(key + " raw write", participants.raw(source, options.sizeBytes, destination,
                            channels, false));
                        System.out.printf(Locale.ROOT, "run %d %-22s total %.3f s (setup %.3f, transfer %.3f, " +
                            "verify %.3f)%s%n", run, key, ferry.total(), ferry.setup(), ferry.transfer(), ferry.verify(),
                            qemu ? String.format(Locale.ROOT, ", QEMU %.3f s", series.last(key + " qemu")) : "");
                    }
                }
            }
        }
        new Report(options, series, iperf, qemu).print(scenarios(), channelSamples);
    }

    /** Ferry's runs of one scenario into {@code series}: through the launcher, and the variants asked for. */
    private Participants.FerryRun ferryRuns(final MigrationBenchmark.Series series, final Participants participants,
        final String key, final Path source, final String destination, final int channels, final boolean sample)
        throws Exception {
        final Participants.FerryRun ferry = participants.ferry(source, options.sizeBytes, destination, channels,
            sample);
        series.add(key + " total", ferry.total());
        series.add(key + " setup", ferry.setup());
        series.add(key + " transfer", ferry.transfer());
        series.add(key + " verify", ferry.verify());
        if (options.alsoJavaJar) {
            series.add(key + " java-jar total", participants.ferry(source, options.sizeBytes, destination, channels,
                false, Participants.Variant.JAVA_JAR).total());
        }
        if (options.alsoVerifyNone) {
            series.add(key + " verify-none total", participants.ferry(source, options.sizeBytes, destination,
                channels, false, Participants.Variant.VERIFY_NONE).total());
        }
        return ferry;
    }

    static String key(final String content, final String destination, final int channels) {
        return content + "/" + destination + "/" + channels + "ch";
    }

    private List<String[]> scenarios() {
        final List<String[]> scenarios = new ArrayList<>();
        for (final String destination : options.destinations) {
            for (final String content : options.contents) {
                for (final int channels : options.channels) {
                    scenarios.add(new String[] {content, destination, Integer.toString(channels)});
                }
            }
        }
        return scenarios;
    }
}
