package dev.ferry.bench.e2e;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The compression benchmark ({@code e2e --compression}): an idle guest of {@code --size} (default 2 GiB), once
 * compressible (about 3:1) and once random, migrated with {@code send}/{@code receive} in two fresh JVMs under
 * {@code --max-bandwidth 200000000/s} (a 1.6 Gbit/s link: the network, not the CPU, is the bottleneck), with each
 * codec (zstd at its default level 1 and at -3, zlib), interleaved, {@code --runs} times. The baseline is
 * {@code --compress none} in the same run. Prints medians of total time and its ratio to none, the ratio achieved,
 * and the codec's CPU time per GiB of pages on each side; writes {@code compression.json} into {@code --out}.
 * Each runs into each of {@code --destination} (default fresh,prefault): a destination file created by the
 * migration, and one made and touched before it ({@code receive --ram SIZE --prefault}, as a VMM with preallocated
 * RAM), whose page faults then no longer compete with the codecs for the cores.
 */
final class CompressionRuns {
    static final String CAP = "200000000/s";
    private static final List<String> CONTENTS = List.of("compressible", "random");
    /** Each codec's label and its {@code send} flags. */
    private static final Map<String, List<String>> CODECS = new LinkedHashMap<>();

    static {
        CODECS.put("none", List.of("--compress", "none"));
        CODECS.put("zstd", List.of("--compress", "zstd"));
        CODECS.put("zstd-3", List.of("--compress", "zstd", "--compress-level", "-3"));
        CODECS.put("zlib", List.of("--compress", "zlib"));
    }

    private final MigrationBenchmark.Options options;
    private final Path work;

    CompressionRuns(final MigrationBenchmark.Options options, final Path work) {
        this.options = options;
        this.work = work;
    }

    void run() throws Exception {
        final long size = options.sizeBytes;
        MigrationBenchmark.Options.requireRoom(3 * size);
        final List<String> contents = options.contentsGiven ? options.contents : CONTENTS;
        final Map<String, List<String>> codecs = new LinkedHashMap<>(CODECS);
        if (null != options.codecs) {
            codecs.keySet().retainAll(options.codecs);
        }
        final Map<String, Path> sources = new LinkedHashMap<>();
        for (final String content : contents) {
            sources.put(content, MigrationBenchmark.source(work, content, size));
        }
        final Path secret = MigrationBenchmark.secret(work);
        final Map<String, List<Map<String, Double>>> results = new LinkedHashMap<>();
        for (int run = 1; run <= options.runs; run++) {
            for (final String destination : options.destinations) {
                for (final String content : contents) {
                    for (final Map.Entry<String, List<String>> codec : codecs.entrySet()) {
                        final String label = content + ("fresh".equals(destination) ? "" : "/" + destination) + " " +
                            codec.getKey();
                        results.computeIfAbsent(label, k -> new ArrayList<>())
                            .add(once(sources.get(content), secret, destination, codec.getValue()));
                        System.out.printf(Locale.ROOT, "run %d %-24s %s%n", run, label,
                            results.get(label).get(results.get(label).size() - 1));
                    }
                }
            }
        }
        report(results);
    }

    /** One migration into a {@code fresh} destination file, or one made and touched before ({@code prefault}). */
    private Map<String, Double> once(final Path source, final Path secret, final String destination,
        final List<String> codec) throws Exception {
        Participants.warmAllocator(work, options.sizeBytes, destination);
        final List<String> flags = new ArrayList<>(List.of("--max-bandwidth", CAP));
        flags.addAll(codec);
        return figures(Runs.cliMigration(options.ferryJar, work, source, secret, flags, "fresh".equals(destination) ?
            List.of() : List.of("--ram", Long.toString(options.sizeBytes), "--prefault"), List.of()));
    }

    private static Map<String, Double> figures(final Runs.Sides sides) {
        if (!sides.source().contains("\"status\": \"completed\"")) {
            throw new IllegalStateException("a migration did not complete: " + sides.source());
        }
        final Map<String, Double> figures = new LinkedHashMap<>();
        final double pageGib = Runs.number(sides.source(), "normal-pages") * 4096.0 / (1L << 30);
        figures.put("total-s", Runs.number(sides.source(), "total-time-ms") / 1e3);
        figures.put("transfer-s", Runs.number(sides.source(), "transfer-time-ms") / 1e3);
        figures.put("sent-gib", Runs.number(sides.source(), "transferred-bytes") / (double)(1L << 30));
        figures.put("ratio", pageGib * (1L << 30) / Math.max(1, Runs.number(sides.source(), "transferred-bytes")));
        figures.put("compress-ms-per-gib", Runs.number(sides.source(), "compression-time-ms") / pageGib);
        figures.put("decompress-ms-per-gib", Runs.number(sides.destination(), "compression-time-ms") / pageGib);
        return figures;
    }

    private void report(final Map<String, List<Map<String, Double>>> results) throws Exception {
        final StringBuilder json = new StringBuilder("{\n");
        System.out.printf(Locale.ROOT, "%n%s guest, cap %s, medians of %d runs%n%-27s %8s %8s %10s %7s %15s %17s%n",
            options.sizeBytes >> 20 > 1023 ? (options.sizeBytes >> 30) + " GiB" : (options.sizeBytes >> 20) + " MiB",
            CAP, options.runs, "content codec", "total s", "x none", "transfer s", "ratio", "compress ms/GiB",
            "decompress ms/GiB");
        for (final Map.Entry<String, List<Map<String, Double>>> entry : results.entrySet()) {
            final Map<String, Double> medians = Runs.medians(entry.getValue());
            final Map<String, Double> none = Runs.medians(results.get(entry.getKey().split(" ")[0] + " none"));
            medians.put("x-none", medians.get("total-s") / none.get("total-s"));
            System.out.printf(Locale.ROOT, "%-27s %8.2f %8.2f %10.2f %7.2f %15.0f %17.0f%n", entry.getKey(),
                medians.get("total-s"), medians.get("x-none"), medians.get("transfer-s"), medians.get("ratio"),
                medians.get("compress-ms-per-gib"), medians.get("decompress-ms-per-gib"));
            Runs.jsonEntry(json, entry.getKey(), medians);
        }
        Runs.writeJson(json, options.out.resolve("compression.json"));
    }
}
