package dev.ferry.bench.e2e;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The TLS benchmark ({@code e2e --tls}): an idle random guest of {@code --size} (default 2 GiB) migrated with
 * {@code send}/{@code receive} in two fresh JVMs over each of {@code --channels} (default 1, 2, 4), in plain TCP with
 * the shared secret and in mutual TLS 1.3 (self-signed EC certificates made with {@code keytool}, each in the other
 * side's trust store), interleaved, {@code --runs} times. Prints medians of the transfer time and TLS's throughput
 * as a share of plain's; writes {@code tls.json} into {@code --out}.
 */
final class TlsRuns {
    private static final String PASSWORD = "ferry-benchmark";
    /** Plain TCP, TLS through the default engine (BoringSSL's), TLS through the JDK's (-Dferry.tls.engine=jdk). */
    private static final List<String> TRANSPORTS = List.of("plain", "tls", "tls jdk");

    private final MigrationBenchmark.Options options;
    private final Path work;

    TlsRuns(final MigrationBenchmark.Options options, final Path work) {
        this.options = options;
        this.work = work;
    }

    void run() throws Exception {
        MigrationBenchmark.Options.requireRoom(2 * options.sizeBytes);
        final Path source = MigrationBenchmark.source(work, "random", options.sizeBytes);
        final Path secret = MigrationBenchmark.secret(work);
        KeytoolPair.make(work, PASSWORD);
        final Map<String, List<Map<String, Double>>> results = new LinkedHashMap<>();
        // --destination prefault: a preallocated, touched destination (--ram --prefault); else a fresh one
        final String destination = options.destinationGiven && options.destinations.contains("prefault") ?
            "prefault" : "fresh";
        for (int run = 1; run <= options.runs; run++) {
            for (final int channels : options.channels) {
                for (final String transport : TRANSPORTS) {
                    final boolean tls = !"plain".equals(transport);
                    Participants.warmAllocator(work, options.sizeBytes, destination);
                    final List<String> flags = new ArrayList<>(List.of("--channels", Integer.toString(channels)));
                    final List<String> receiveFlags = new ArrayList<>(tls ? tlsFlags("destination") : List.of());
                    if ("prefault".equals(destination)) {
                        receiveFlags.addAll(List.of("--ram", Long.toString(options.sizeBytes), "--prefault"));
                    }
                    final Runs.Sides sides = Runs.cliMigration(options.ferryJar, work, source, secret, flags,
                        receiveFlags, tls ? tlsFlags("source") : List.of(),
                        "tls jdk".equals(transport) ? "-Dferry.tls.engine=jdk" : "");
                    if (!sides.source().contains("\"status\": \"completed\"")) {
                        throw new IllegalStateException("a migration did not complete: " + sides.source());
                    }
                    final Map<String, Double> figures = new LinkedHashMap<>();
                    figures.put("transfer-s", Runs.number(sides.source(), "transfer-time-ms") / 1e3);
                    figures.put("total-s", Runs.number(sides.source(), "total-time-ms") / 1e3);
                    final String label = channels + " channels " + transport;
                    results.computeIfAbsent(label, k -> new ArrayList<>()).add(figures);
                    System.out.printf(Locale.ROOT, "run %d %-20s %s%n", run, label, figures);
                }
            }
        }
        report(results);
    }

    private List<String> tlsFlags(final String side) {
        return List.of("--tls-keystore", work.resolve(side + ".p12").toString(), "--tls-truststore",
            work.resolve(side + "-trust.p12").toString(), "--tls-password-file", work.resolve("password").toString());
    }

    private void report(final Map<String, List<Map<String, Double>>> results) throws Exception {
        final double gib = options.sizeBytes / (double)(1L << 30);
        final StringBuilder json = new StringBuilder("{\n");
        System.out.printf(Locale.ROOT, "%n%.2f GiB random guest, medians of %d runs%n%-20s %11s %9s %8s %13s%n", gib,
            options.runs, "channels transport", "transfer s", "GiB/s", "total s", "tls / plain");
        for (final Map.Entry<String, List<Map<String, Double>>> entry : results.entrySet()) {
            final Map<String, Double> medians = Runs.medians(entry.getValue());
            final String channels = entry.getKey().substring(0, entry.getKey().indexOf(" channels"));
            final Map<String, Double> plain = Runs.medians(results.get(channels + " channels plain"));
            medians.put("gib-per-s", gib / medians.get("transfer-s"));
            medians.put("throughput-vs-plain", plain.get("transfer-s") / medians.get("transfer-s"));
            System.out.printf(Locale.ROOT, "%-20s %11.2f %9.2f %8.2f %13.2f%n", entry.getKey(),
                medians.get("transfer-s"), medians.get("gib-per-s"), medians.get("total-s"),
                medians.get("throughput-vs-plain"));
            Runs.jsonEntry(json, entry.getKey(), medians);
        }
        Runs.writeJson(json, options.out.resolve("tls.json"));
    }
}
