package dev.ferry.bench.e2e;

import dev.ferry.memory.BlockSpec;
import dev.ferry.memory.GuestMemory;
import dev.ferry.memory.RamBlock;
import dev.ferry.memory.internal.Fill;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * {@code e2e --many}: many migrations at once between two warm runtimes ({@link RuntimeProcess}, one process each,
 * one listening port), interleaved in each run with a single migration of the same total size:
 * <ul>
 * <li>8 guests of 256 MiB (random, 2 channels each) at once against 1 guest of 2 GiB: the aggregate throughput's
 * ratio, and fairness (each one's time against their median);</li>
 * <li>the 8 under a host budget of 200 MB/s: the aggregate rate against the budget, each one's rate against its
 * share;</li>
 * <li>a warm runtime's 2 GiB random migration into a prefaulted destination (made before the source connects):
 * setup and transfer, against the raw N-socket baseline into the same prefaulted memory;</li>
 * <li>threads and resident memory of each process at 1, 8 and 16 migrations at once (peaks while they run).</li>
 * </ul>
 * A warm-up batch of each kind runs first and is not counted. Medians of {@code --runs}; results.json in --out.
 */
final class ManyRuns {
    private static final long GUEST_BYTES = 256L << 20;
    private static final int CHANNELS = 2;
    private static final long BUDGET = 200_000_000L;
    private static final int[] CONCURRENCY = {1, 8, 16};

    private final MigrationBenchmark.Options options;
    private final Path work;
    private final Participants participants;

    ManyRuns(final MigrationBenchmark.Options options, final Path work) throws Exception {
        this.options = options;
        this.work = work;
        this.participants = new Participants(work, options.ferryJar);
    }

    void run() throws Exception {
        final long single = 8 * GUEST_BYTES;
        System.out.println("making 16 guests of 256 MiB and one of 2 GiB, random ...");
        final List<Path> guests = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            guests.add(guest("guest-" + i, GUEST_BYTES, 100 + i));
        }
        final Path big = guest("big", single, 7);
        final Path secret = MigrationBenchmark.secret(work);
        final Path dataDir = Files.createDirectories(work.resolve("data"));
        try (Side receiver = new Side(work.resolve("receiver.log"), List.of("receive", dataDir.toString(),
            secret.toString(), "16"));
             Side sender = new Side(work.resolve("sender.log"), List.of("send", secret.toString(),
                 receiver.first.split(" ")[1], "16"))) {
            final Map<String, List<Double>> series = new LinkedHashMap<>();
            for (int run = 0; run <= options.runs; run++) {
                final boolean counted = run > 0;
                final Batch one = batch(sender, receiver, 0, List.of(big), null);
                final Batch eight = batch(sender, receiver, 0, guests.subList(0, 8), null);
                final Batch capped = batch(sender, receiver, BUDGET, guests.subList(0, 8), null);
                receiver.ask("prepare warm " + single, "prepared");
                final Batch warm = batch(sender, receiver, 0, List.of(big), "warm");
                final double raw = participants.raw(big, single, "prefault", CHANNELS, false);
                if (!counted) {
                    // The runtimes' first migrations (cold code), against the same later (warm) in the table.
                    add(series, "first migration (cold) setup ms", one.setupMs[0]);
                    add(series, "first migration (cold) transfer s", one.transferMs[0] / 1e3);
                    System.out.println("warm-up done");
                    continue;
                }
                add(series, "later migration (warm) setup ms", one.setupMs[0]);
                add(series, "later migration (warm) transfer s", one.transferMs[0] / 1e3);
                add(series, "single 2 GiB total s", one.wallMs / 1e3);
                add(series, "8 x 256 MiB total s", eight.wallMs / 1e3);
                add(series, "aggregate ratio (8 vs 1)", (double)one.wallMs / eight.wallMs);
                add(series, "fairness: worst of 8 vs their median", eight.worstDeviation());
                add(series, "budget: aggregate MB/s (budget 200)", capped.aggregateMbPerSec());
                add(series, "budget: worst share vs 25 MB/s", capped.worstShare(BUDGET / 8e6));
                add(series, "warm prefault setup ms", warm.setupMs[0]);
                add(series, "warm prefault transfer s", warm.transferMs[0] / 1e3);
                add(series, "raw prefault transfer s", raw);
                add(series, "warm transfer vs raw (x raw speed)", raw / (warm.transferMs[0] / 1e3));
                System.out.printf(Locale.ROOT, "run %d: 1x2GiB %.2f s, 8x256MiB %.2f s, capped %.1f MB/s, warm " +
                    "setup %.0f ms transfer %.2f s, raw %.2f s%n", run, one.wallMs / 1e3, eight.wallMs / 1e3,
                    capped.aggregateMbPerSec(), warm.setupMs[0], warm.transferMs[0] / 1e3, raw);
            }
            final Map<String, Double> medians = report(series);
            footprints(medians, sender, receiver, guests);
            final StringBuilder json = new StringBuilder("{\n");
            Runs.jsonEntry(json, "many", medians);
            Runs.writeJson(json, options.out.resolve("results.json"));
        }
    }

    /** Threads and resident memory of both processes at 1, 8 and 16 migrations at once, into {@code medians}. */
    private static void footprints(final Map<String, Double> medians, final Side sender, final Side receiver,
        final List<Path> guests) throws Exception {
        final AtomicLongArray idle = new AtomicLongArray(6);
        sample(sender.process.pid(), idle, 0);
        sample(receiver.process.pid(), idle, 1);
        medians.put("threads source idle", (double)idle.get(0));
        medians.put("threads destination idle", (double)idle.get(1));
        System.out.printf(Locale.ROOT, " idle runtimes: threads %d source, %d destination%n", idle.get(0), idle.get(1));
        for (final int count : CONCURRENCY) {
            final long[] peaks = peaks(sender, receiver, guests.subList(0, count));
            medians.put("threads source at " + count, (double)peaks[0]);
            medians.put("threads destination at " + count, (double)peaks[1]);
            medians.put("RSS MiB source at " + count, peaks[2] / 1024.0);
            medians.put("RSS MiB destination at " + count, peaks[3] / 1024.0);
            medians.put("anonymous RSS MiB source at " + count, peaks[4] / 1024.0);
            medians.put("anonymous RSS MiB destination at " + count, peaks[5] / 1024.0);
            System.out.printf(Locale.ROOT, "%2d at once: threads %d source, %d destination; RSS %d MiB source, " +
                "%d MiB destination, of which anonymous (heap, buffers, stacks) %d MiB and %d MiB%n", count,
                peaks[0], peaks[1], peaks[2] / 1024, peaks[3] / 1024, peaks[4] / 1024, peaks[5] / 1024);
        }
    }

    private Path guest(final String name, final long size, final long seed) {
        return randomGuest(work, name, size, seed);
    }

    /** {@code work/NAME.ram}: {@code size} random bytes from {@code seed}. */
    static Path randomGuest(final Path work, final String name, final long size, final long seed) {
        final Path file = work.resolve(name + ".ram");
        try (GuestMemory memory = GuestMemory.createFile(file, List.of(new BlockSpec(0, "ram", size)),
            RamBlock.DEFAULT_PAGE_SIZE)) {
            Fill.random(memory.block(0), seed);
        }
        return file;
    }

    /** Sends {@code files} at once (named {@code name}, or guest-i) and waits for both sides. */
    private static Batch batch(final Side sender, final Side receiver, final long budget, final List<Path> files,
        final String name) throws Exception {
        final StringBuilder command = new StringBuilder("send " + budget + " " + CHANNELS);
        for (int i = 0; i < files.size(); i++) {
            command.append(' ').append(files.get(i)).append(' ').append(null != name ? name : "g" + i);
        }
        receiver.write("expect " + files.size());
        final List<String> sent = sender.ask(command.toString(), "done");
        final List<String> received = receiver.read("done");
        sender.log(sent);
        receiver.log(received);
        for (final String line : received) {
            if (line.startsWith("received") && !line.contains(" completed ")) {
                throw new IllegalStateException("a migration did not complete: " + line);
            }
        }
        return new Batch(sent);
    }

    /** Peak threads and RSS (KiB) of the sender and the receiver while {@code files} migrate at once. */
    private static long[] peaks(final Side sender, final Side receiver, final List<Path> files) throws Exception {
        final AtomicLongArray peaks = new AtomicLongArray(6);
        final Thread sampler = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                sample(sender.process.pid(), peaks, 0);
                sample(receiver.process.pid(), peaks, 1);
                try {
                    Thread.sleep(20);
                } catch (final InterruptedException ex) {
                    return;
                }
            }
        });
        sampler.start();
        try {
            batch(sender, receiver, 0, files, null);
        } finally {
            sampler.interrupt();
            sampler.join();
        }
        return new long[] {peaks.get(0), peaks.get(1), peaks.get(2), peaks.get(3), peaks.get(4), peaks.get(5)};
    }

    private static void sample(final long pid, final AtomicLongArray peaks, final int side) {
        try {
            for (final String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith("Threads:")) {
                    peaks.accumulateAndGet(side, Long.parseLong(line.substring(8).trim()), Math::max);
                } else if (line.startsWith("VmRSS:")) {
                    peaks.accumulateAndGet(2 + side, Long.parseLong(line.replaceAll("\\D", "")), Math::max);
                } else if (line.startsWith("RssAnon:")) {
                    peaks.accumulateAndGet(4 + side, Long.parseLong(line.replaceAll("\\D", "")), Math::max);
                }
            }
        } catch (final Exception ignore) {
            // a sample missed: the next one is 20 ms away
        }
    }

    private static void add(final Map<String, List<Double>> series, final String key, final double value) {
        series.computeIfAbsent(key, k -> new ArrayList<>()).add(value);
    }

    private static Map<String, Double> report(final Map<String, List<Double>> series) {
        final Map<String, Double> medians = new LinkedHashMap<>();
        System.out.println();
        System.out.println("| figure | median | min | max |");
        System.out.println("| --- | --- | --- | --- |");
        for (final Map.Entry<String, List<Double>> entry : series.entrySet()) {
            final double[] values = entry.getValue().stream().mapToDouble(Double::doubleValue).toArray();
            medians.put(entry.getKey(), Runs.median(values));
            System.out.printf(Locale.ROOT, "| %s | %.3f | %.3f | %.3f |%n", entry.getKey(), Runs.median(values),
                Runs.min(values), Runs.max(values));
        }
        return medians;
    }

    /** The sender's lines of one batch: per migration start, end, setup and transfer (ms) and bytes; the wall. */
    private static final class Batch {
        private final long wallMs;
        private final double[] startMs;
        private final double[] endMs;
        private final double[] setupMs;
        private final double[] transferMs;
        private final double[] bytes;

        Batch(final List<String> lines) {
            final List<String[]> sent = lines.stream().filter(line -> line.startsWith("sent ")).map(l -> l.split(" "))
                .toList();
            for (final String[] words : sent) {
                if (!"completed".equals(words[2])) {
                    throw new IllegalStateException("a migration did not complete: " + String.join(" ", words));
                }
            }
            this.wallMs = Long.parseLong(lines.get(lines.size() - 1).split(" ")[1]);
            this.startMs = column(sent, 3);
            this.endMs = column(sent, 4);
            this.setupMs = column(sent, 5);
            this.transferMs = column(sent, 6);
            this.bytes = column(sent, 7);
        }

        private static double[] column(final List<String[]> rows, final int index) {
            return rows.stream().mapToDouble(row -> Double.parseDouble(row[index])).toArray();
        }

        /** The largest |time - median| / median over the migrations, each timed from its start to its end. */
        double worstDeviation() {
            final double[] times = new double[endMs.length];
            for (int i = 0; i < times.length; i++) {
                times[i] = endMs[i] - startMs[i];
            }
            final double median = Runs.median(times);
            return Arrays.stream(times).map(time -> Math.abs(time - median) / median).max().orElse(0);
        }

        /** Every byte sent, over the time from the first start to the last end, MB/s. */
        double aggregateMbPerSec() {
            final double total = Arrays.stream(bytes).sum();
            return total / 1e6 / ((Arrays.stream(endMs).max().orElse(1) - Arrays.stream(startMs).min().orElse(0)) /
                1e3);
        }

        /** The largest |rate - share| / share, each migration's rate over its transfer. */
        double worstShare(final double shareMbPerSec) {
            double worst = 0;
            for (int i = 0; i < bytes.length; i++) {
                worst = Math.max(worst, Math.abs(bytes[i] / 1e6 / (transferMs[i] / 1e3) - shareMbPerSec) /
                    shareMbPerSec);
            }
            return worst;
        }
    }

    /** A {@link RuntimeProcess} and its standard input and output. */
    private static final class Side implements AutoCloseable {
        private final Process process;
        private final PrintWriter in;
        private final BufferedReader out;
        private final String first;
        private final Path log;

        Side(final Path log, final List<String> args) throws Exception {
            this.log = log;
            final List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin",
                "java").toString(), "--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED", "-cp",
                System.getProperty("java.class.path"), RuntimeProcess.class.getName()));
            command.addAll(args);
            this.process = new ProcessBuilder(command).redirectError(log.toFile()).start();
            this.in = new PrintWriter(process.getOutputStream(), true, StandardCharsets.UTF_8);
            this.out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
            this.first = "listening".equals(args.get(0)) || "receive".equals(args.get(0)) ? line(log) : "";
        }

        private String line(final Path log) throws Exception {
            final String line = out.readLine();
            if (null == line) {
                throw new IllegalStateException("the runtime process ended: " + Files.readString(log));
            }
            return line;
        }

        /** Each batch's lines go to the side's log too (one line per migration: when it ran, its setup, its rate). */
        void log(final List<String> lines) throws Exception {
            Files.write(log, lines, StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.APPEND);
        }

        void write(final String command) {
            in.println(command);
        }

        List<String> ask(final String command, final String last) throws Exception {
            write(command);
            return read(last);
        }

        List<String> read(final String last) throws Exception {
            final List<String> lines = new ArrayList<>();
            for (String line = out.readLine(); null != line; line = out.readLine()) {
                lines.add(line);
                if (line.startsWith(last)) {
                    return lines;
                }
            }
            throw new IllegalStateException("the runtime process ended after " + lines);
        }

        @Override
        public void close() throws Exception {
            in.println("quit");
            if (!process.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
    }
}
