package dev.ferry.bench.e2e;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The convergence benchmark ({@code e2e --convergence}): a dirtying guest migrated with {@code send}/{@code receive}
 * in two fresh JVMs, each scenario of the convergence issue beside two baselines, interleaved, {@code --runs} times:
 * the same engine with {@code --no-auto-converge}, and, with {@code --baseline-jar JAR}, an older build given only
 * the workload's flags (the engine before convergence control: 16 MiB or 30 rounds, no throttle). Prints medians of
 * total time, downtime, rounds, round 0's time and the peak throttle; writes {@code convergence.json} into
 * {@code --out}.
 */
final class ConvergenceRuns {
    private static final long GUEST = 2L << 30;
    private static final long SMALL_GUEST = 256L << 20;

    /** A scenario: a label, the guest size and the {@code send} flags; an old build runs with the workload's only. */
    private record Scenario(String label, long guest, List<String> flags, boolean oldBuild) {
        Scenario(final String label, final long guest, final List<String> flags) {
            this(label, guest, flags, false);
        }
    }

    private static final List<Scenario> SCENARIOS = List.of(
        new Scenario("512m-hot-50ms", GUEST, List.of("--dirty-rate", "2000000", "--hot-set", "512m",
            "--downtime-limit", "50ms")),
        new Scenario("512m-hot-300ms", GUEST, List.of("--dirty-rate", "2000000", "--hot-set", "512m")),
        new Scenario("1g-hot-300ms", GUEST, List.of("--dirty-rate", "2000000", "--hot-set", "1g")),
        new Scenario("512m-hot-no-auto-converge", GUEST, List.of("--dirty-rate", "2000000", "--hot-set", "512m",
            "--no-auto-converge")),
        new Scenario("512m-hot-old-build", GUEST, List.of("--dirty-rate", "2000000", "--hot-set", "512m"), true),
        new Scenario("256m-all-hot-cap-20m", SMALL_GUEST, List.of("--dirty-rate", "2000000", "--hot-set", "256m",
            "--max-bandwidth", "20m/s", "--timeout", "30s")));

    private final MigrationBenchmark.Options options;
    private final Path work;

    ConvergenceRuns(final MigrationBenchmark.Options options, final Path work) {
        this.options = options;
        this.work = work;
    }

    void run() throws Exception {
        MigrationBenchmark.Options.requireRoom(2 * GUEST + SMALL_GUEST);
        final Path guest = MigrationBenchmark.source(work, "random", GUEST);
        final Path small = MigrationBenchmark.source(work, "random", SMALL_GUEST);
        final Path secret = MigrationBenchmark.secret(work);
        final Map<String, List<Map<String, Double>>> results = new LinkedHashMap<>();
        for (int run = 1; run <= options.runs; run++) {
            for (final Scenario scenario : SCENARIOS) {
                if (scenario.oldBuild() && null == options.baselineJar ||
                    null != options.scenarios && !options.scenarios.contains(scenario.label())) {
                    continue;
                }
                final Map<String, Double> figures = once(scenario, scenario.guest() == GUEST ? guest : small, secret);
                results.computeIfAbsent(scenario.label(), k -> new ArrayList<>()).add(figures);
                System.out.printf(Locale.ROOT, "run %d %-22s %s%n", run, scenario.label(), figures);
            }
        }
        report(results);
    }

    private Map<String, Double> once(final Scenario scenario, final Path source, final Path secret) throws Exception {
        Participants.warmAllocator(work, scenario.guest(), "fresh");
        return figures(Runs.cliMigration(scenario.oldBuild() ? options.baselineJar : options.ferryJar, work, source,
            secret, scenario.flags()).source());
    }

    /** The figures of one run from the source's JSON. */
    static Map<String, Double> figures(final String json) {
        final Map<String, Double> figures = new LinkedHashMap<>();
        figures.put("completed", json.contains("\"status\": \"completed\"") ? 1.0 : 0.0);
        figures.put("not-converged", json.contains("NOT_CONVERGED") ? 1.0 : 0.0);
        figures.put("total-s", Runs.number(json, "total-time-ms") / 1e3);
        figures.put("downtime-ms", (double)Runs.number(json, "downtime-ms"));
        figures.put("rounds", (double)Runs.number(json, "rounds"));
        figures.put("round0-s", json.contains("\"duration-ms\"") ? Runs.number(json, "duration-ms") / 1e3 : Double.NaN);
        double peak = 0;
        final Matcher throttle = Pattern.compile("\"throttle-percent\": (\\d+)\\}").matcher(json);
        while (throttle.find()) {
            peak = Math.max(peak, Double.parseDouble(throttle.group(1)));
        }
        figures.put("peak-throttle", peak);
        figures.put("sent-gib", Runs.number(json, "transferred-bytes") / (double)(1L << 30));
        return figures;
    }

    private void report(final Map<String, List<Map<String, Double>>> results) throws Exception {
        final StringBuilder json = new StringBuilder("{\n");
        System.out.printf(Locale.ROOT, "%n%-22s %9s %12s %7s %9s %9s %9s %s%n", "scenario", "total s", "downtime ms",
            "rounds", "round0 s", "throttle", "sent GiB", "outcome");
        for (final Map.Entry<String, List<Map<String, Double>>> entry : results.entrySet()) {
            final List<Map<String, Double>> runs = entry.getValue();
            final Map<String, Double> medians = Runs.medians(runs);
            final long completed = runs.stream().filter(r -> r.get("completed") == 1.0).count();
            final long timedOut = runs.stream().filter(r -> r.get("not-converged") == 1.0).count();
            System.out.printf(Locale.ROOT, "%-22s %9.2f %12.0f %7.0f %9.2f %8.0f%% %9.2f %d/%d completed, %d not converged%n",
                entry.getKey(), medians.get("total-s"), medians.get("downtime-ms"), medians.get("rounds"),
                medians.get("round0-s"), medians.get("peak-throttle"), medians.get("sent-gib"), completed, runs.size(),
                timedOut);
            json.append("  \"").append(entry.getKey()).append("\": {\"medians\": ").append(medians.toString()
                .replace("=", "\": ").replace("{", "{\"").replace(", ", ", \"")).append(", \"runs\": ")
                .append(runs.size()).append(", \"completed\": ").append(completed).append("},\n");
        }
        json.setLength(json.length() - 2);
        Files.createDirectories(options.out);
        Files.writeString(options.out.resolve("convergence.json"), json.append("\n}\n").toString());
    }
}
