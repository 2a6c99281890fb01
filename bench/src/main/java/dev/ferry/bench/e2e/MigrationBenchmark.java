package dev.ferry.bench.e2e;

import dev.ferry.memory.BlockSpec;
import dev.ferry.memory.GuestMemory;
import dev.ferry.memory.RamBlock;
import dev.ferry.memory.internal.Fill;
import dev.ferry.memory.internal.MemoryFiles;
import org.agrona.SystemUtil;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The end-to-end benchmark: Ferry's CLI in two processes on loopback (as an operator runs it, cold JVMs), beside the
 * raw N-socket baseline ({@link RawTransfer}) and iperf3, interleaved, in one run.
 * <pre>
 * java -jar bench/target/benchmarks.jar e2e [--size 2g] [--runs 5] [--channels 1,2,4]
 *     [--content random,zeros,half] [--destination fresh,prefault] [--out bench-results] [--no-qemu] [--growth]
 *     [--convergence [--baseline-jar OLD_FERRY_JAR] [--scenarios LABEL,...]]
 *     [--compression [--content compressible,random] [--codecs none,zstd,zstd-3,zlib]] [--tls] [--many]
 * </pre>
 * Prints a table of medians (and the spread) with the ratios, writes {@code results.json}, {@code throughput.png}
 * and {@code channels.png} into the output directory. {@code --growth} instead times 256 MiB to 8 GiB guests and
 * fits total = a + b x size; {@code --convergence} runs the dirtying-guest scenarios ({@link ConvergenceRuns});
 * {@code --compression} each codec under a 200 MB/s cap ({@link CompressionRuns}); {@code --tls} plain against
 * mutual TLS ({@link TlsRuns}); {@code --many} many migrations at once between two runtimes ({@link ManyRuns}).
 */
public final class MigrationBenchmark {
    /** The share of random pieces in compressible content: 3.0:1 with zstd at level 1. */
    static final double COMPRESSIBLE_RANDOM_SHARE = 0.30;

    private MigrationBenchmark() {
    }

    static final String USAGE = String.join(System.lineSeparator(),
        "usage: java -jar bench/target/benchmarks.jar e2e [--size 2g] [--runs 5] [--channels 1,2,4]",
        "           [--content random,zeros,half] [--destination fresh,prefault] [--ferry-jar JAR] [--out DIR]",
        "           [--no-qemu]   (QEMU 7.2 multifd is the first baseline; installed from Debian when missing)",
        "           [--also-java-jar]   (Ferry also as plain java -jar, without the launcher's options and archive)",
        "           [--also-verify-none]   (Ferry also with --verify none on both sides)",
        "       ... e2e --growth [--runs 3] [--destination prefault]   256 MiB to 8 GiB, fit total = a + b x size",
        "       ... e2e --convergence [--scenarios S,..] [--baseline-jar JAR]",
        "       ... e2e --compression [--content compressible,random] [--codecs none,zstd,zstd-3,zlib]",
        "       ... e2e --tls",
        "       ... e2e --many [--runs 5]   8 x 256 MiB at once against 1 x 2 GiB between two warm runtimes",
        "       ... e2e --daemon [--runs 5]   through two running daemons against the one-shot CLI; an evacuation",
        "Run from the repository after mvn -q -DskipTests package (or give --ferry-jar); see docs/benchmarks.md.");

    public static void main(final String[] args) throws Exception {
        if (Arrays.asList(args).contains("--help") || Arrays.asList(args).contains("-h")) {
            System.out.println(USAGE);
            return;
        }
        final Options options;
        try {
            options = Options.parse(args);
        } catch (final IllegalArgumentException ex) {
            System.err.println("e2e: " + ex.getMessage());
            System.err.println(USAGE);
            System.exit(2);
            return;
        }
        final Path work = Files.createTempDirectory(Options.scratch(), "ferry-e2e-");
        try {
            if (options.convergence) {
                new ConvergenceRuns(options, work).run();
            } else if (options.compression) {
                new CompressionRuns(options, work).run();
            } else if (options.tls) {
                new TlsRuns(options, work).run();
            } else if (options.many) {
                new ManyRuns(options, work).run();
            } else if (options.daemon) {
                new DaemonRuns(options, work).run();
            } else if (options.growth) {
                new Growth(options, work).run();
            } else {
                new Matrix(options, work).run();
            }
        } finally {
            try (var files = Files.walk(work)) {
                files.sorted(Comparator.reverseOrder()).forEach(MemoryFiles::deleteQuietly);
            }
        }
    }

    /**
     * Writes a source file of {@code size} with {@code content}: random, zeros (written), half (50% zero pages) or
     * compressible (3.0:1 with zstd at level 1 in frames of 128 pages, the ratio issue 10 names: 30% of each page's
     * 64-byte pieces random, the rest copies of earlier pieces; a third random gave 2.74:1).
     */
    static Path source(final Path work, final String content, final long size) {
        final Path file = work.resolve("source-" + content + "-" + size + ".ram");
        try (GuestMemory memory = GuestMemory.createFile(file, List.of(new BlockSpec(0, "ram", size)),
            RamBlock.DEFAULT_PAGE_SIZE)) {
            switch (content) {
                case "random":
                    Fill.random(memory.block(0), 1);
                    break;
                case "zeros":
                    Fill.zero(memory.block(0));
                    break;
                case "half":
                    Fill.mixed(memory.block(0), 0.5, 1);
                    break;
                case "compressible":
                    Fill.compressible(memory.block(0), COMPRESSIBLE_RANDOM_SHARE, 1);
                    break;
                default:
                    throw new IllegalArgumentException("content " + content + ": random, zeros, half or compressible");
            }
        }
        return file;
    }

    static Path secret(final Path work) throws Exception {
        final byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        return Files.write(work.resolve("secret"), key);
    }

    /** Options of a run. */
    static final class Options {
        long sizeBytes = 2L << 30;
        int runs = 5;
        List<Integer> channels = List.of(1, 2, 4);
        List<String> contents = List.of("random", "zeros", "half");
        boolean contentsGiven;
        List<String> codecs;
        List<String> destinations = List.of("fresh", "prefault");
        boolean destinationGiven;
        Path out = Path.of("bench-results");
        Path ferryJar = Path.of("engine/target/ferry.jar");
        boolean growth;
        boolean many;
        boolean daemon;
        boolean convergence;
        boolean compression;
        boolean tls;
        boolean qemu = true;
        boolean alsoJavaJar;
        boolean alsoVerifyNone;
        Path baselineJar;
        List<String> scenarios;

        static Options parse(final String[] args) {
            final Options options = new Options();
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "e2e":
                        break;
                    case "--size":
                        options.sizeBytes = SystemUtil.parseSize("--size", value(args, ++i));
                        break;
                    case "--runs":
                        options.runs = number("--runs", value(args, ++i));
                        break;
                    case "--channels":
                        options.channels = new ArrayList<>();
                        for (final String n : value(args, ++i).split(",")) {
                            options.channels.add(number("--channels", n));
                        }
                        break;
                    case "--content":
                        options.contents = List.of(value(args, ++i).split(","));
                        options.contentsGiven = true;
                        break;
                    case "--codecs":
                        options.codecs = List.of(value(args, ++i).split(","));
                        break;
                    case "--destination":
                        options.destinations = List.of(value(args, ++i).split(","));
                        options.destinationGiven = true;
                        break;
                    case "--out":
                        options.out = Path.of(value(args, ++i));
                        break;
                    case "--ferry-jar":
                        options.ferryJar = Path.of(value(args, ++i));
                        break;
                    case "--growth", "--convergence", "--compression", "--tls", "--no-qemu", "--also-java-jar",
                        "--also-verify-none", "--many", "--daemon":
                        options.flag(args[i]);
                        break;
                    case "--scenarios":
                        options.scenarios = List.of(value(args, ++i).split(","));
                        break;
                    case "--baseline-jar":
                        options.baselineJar = Path.of(value(args, ++i));
                        break;
                    default:
                        throw new IllegalArgumentException("unknown option " + args[i]);
                }
            }
            return options.withJar();
        }

        private void flag(final String name) {
            switch (name) {
                case "--growth" -> growth = true;
                case "--many" -> many = true;
                case "--daemon" -> daemon = true;
                case "--convergence" -> convergence = true;
                case "--compression" -> compression = true;
                case "--tls" -> tls = true;
                case "--also-java-jar" -> alsoJavaJar = true;
                case "--also-verify-none" -> alsoVerifyNone = true;
                default -> qemu = false;
            }
        }

        private static String value(final String[] args, final int i) {
            if (i >= args.length) {
                throw new IllegalArgumentException(args[i - 1] + " needs a value");
            }
            return args[i];
        }

        private static int number(final String option, final String value) {
            try {
                final int n = Integer.parseInt(value);
                if (n > 0) {
                    return n;
                }
            } catch (final NumberFormatException ignore) {
                // named below
            }
            throw new IllegalArgumentException(option + " " + value + ": expected a positive whole number");
        }

        private Options withJar() {
            if (!Files.isRegularFile(ferryJar)) {
                throw new IllegalArgumentException(ferryJar + " is missing: mvn -q -DskipTests package first");
            }
            return this;
        }

        static Path scratch() {
            return Files.isDirectory(Path.of("/dev/shm")) ? Path.of("/dev/shm") :
                Path.of(System.getProperty("java.io.tmpdir"));
        }

        /** Fails before any run when the scratch file system cannot hold {@code bytes}. */
        static void requireRoom(final long bytes) throws Exception {
            final long usable = Files.getFileStore(scratch()).getUsableSpace();
            if (usable < bytes) {
                throw new IllegalStateException(scratch() + " has " + usable / (1 << 20) + " MiB free; this run needs " +
                    bytes / (1 << 20) + " MiB (the sources and one destination)");
            }
            System.out.printf(Locale.ROOT, "%s: %d MiB free, %d MiB needed%n", scratch(), usable >> 20, bytes >> 20);
        }
    }

    /** A label and its samples, in order of the run. */
    static final class Series {
        final Map<String, List<Double>> samples = new LinkedHashMap<>();

        void add(final String key, final double value) {
            samples.computeIfAbsent(key, k -> new ArrayList<>()).add(value);
        }

        double[] of(final String key) {
            return samples.getOrDefault(key, List.of()).stream().mapToDouble(Double::doubleValue).toArray();
        }

        double last(final String key) {
            final List<Double> values = samples.get(key);
            return values.get(values.size() - 1);
        }
    }
}
