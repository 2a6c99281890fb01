package dev.ferry.bench.e2e;

import dev.ferry.engine.stats.CountersFile;
import dev.ferry.memory.RamBlock;
import dev.ferry.memory.internal.MemoryFiles;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** One run of each thing the benchmark times: Ferry's CLI, the raw baseline, iperf3. */
final class Participants {
    private final Path work;
    private final Path ferryJar;
    private final Path secret;

    Participants(final Path work, final Path ferryJar) throws Exception {
        this.work = work;
        this.ferryJar = ferryJar;
        this.secret = MigrationBenchmark.secret(work);
    }

    /** Ferry's figures of one migration, seconds: total, setup, transfer, verify (the source's JSON). */
    record FerryRun(double total, double setup, double transfer, double verify, List<double[]> channelSamples) {
    }

    /**
     * Migrates {@code source} with {@code send} and {@code receive} in two fresh JVMs. With {@code sampleChannels},
     * also reads the sender's live counters every 50 ms (as {@code ferry stat} does): time (s) and bytes per channel.
     */
    FerryRun ferry(final Path source, final long size, final String destination, final int channels,
        final boolean sampleChannels) throws Exception {
        return ferry(source, size, destination, channels, sampleChannels, Variant.LAUNCHER);
    }

    /** How Ferry runs: through its launcher, as plain {@code java -jar}, or through its launcher without verifying. */
    enum Variant {
        LAUNCHER, JAVA_JAR, VERIFY_NONE
    }

    /** As {@link #ferry(Path, long, String, int, boolean)}, run as {@code variant} says. */
    FerryRun ferry(final Path source, final long size, final String destination, final int channels,
        final boolean sampleChannels, final Variant variant) throws Exception {
        final boolean launcher = variant != Variant.JAVA_JAR;
        final List<String> verify = variant == Variant.VERIFY_NONE ? List.of("--verify", "none") : List.of();
        warmAllocator(size, destination);
        final Path target = work.resolve("destination.ram");
        final Path counters = work.resolve("counters"); // Ferry makes it, private (0700)
        final int port = Runs.freePort();
        final List<String> receive = new ArrayList<>(List.of("receive", "--listen",
            "127.0.0.1:" + port, "--memory-file", target.toString(), "--secret-file", secret.toString(),
            "--stats-json", work.resolve("receive.json").toString(), "--counters-dir", counters.toString()));
        if ("prefault".equals(destination)) {
            receive.addAll(List.of("--ram", Long.toString(size), "--prefault"));
        }
        receive.addAll(verify);
        final Path receiveLog = work.resolve("receive.log");
        final Process receiver = Runs.ferry(ferryJar, receiveLog, receive, launcher);
        List<double[]> samples;
        try {
            Runs.awaitLine(receiveLog, "listening on", receiver);
            samples = List.of();
            final Path sendLog = work.resolve("send.log");
            final List<String> send = new ArrayList<>(List.of("send", "--connect", "127.0.0.1:" + port,
                "--memory-file", source.toString(), "--channels", Integer.toString(channels), "--secret-file",
                secret.toString(), "--stats-json", work.resolve("send.json").toString(), "--counters-dir",
                counters.toString()));
            send.addAll(verify);
            final Process sender = Runs.ferry(ferryJar, sendLog, send, launcher);
            samples = sampleChannels ? sample(sender, counters, channels) : List.of();
            Runs.await(sender, sendLog);
            Runs.await(receiver, receiveLog);
        } finally {
            receiver.destroyForcibly();
            MemoryFiles.deleteQuietly(target);
        }
        final String json = Files.readString(work.resolve("send.json"));
        if (!json.contains(variant == Variant.VERIFY_NONE ? "\"status\": \"completed\"" : "\"verified\": true")) {
            throw new IllegalStateException("not verified: " + json);
        }
        return new FerryRun(Runs.number(json, "total-time-ms") / 1e3, Runs.number(json, "setup-time-ms") / 1e3,
            Runs.number(json, "transfer-time-ms") / 1e3, Runs.number(json, "verify-time-ms") / 1e3, samples);
    }

    private List<double[]> sample(final Process sender, final Path counters, final int channels) throws Exception {
        final List<double[]> samples = new ArrayList<>();
        final long startNs = System.nanoTime();
        while (sender.isAlive()) {
            final Map<Integer, Long> bytes = new TreeMap<>();
            for (final CountersFile.Sample sample : CountersFile.readAll(counters)) {
                if (sample.pid() == sender.pid() && sample.label().startsWith("channel-bytes[")) {
                    bytes.put(Integer.parseInt(sample.label().replaceAll("\\D", "")), sample.value());
                }
            }
            if (bytes.size() == channels) {
                final double[] row = new double[channels + 1];
                row[0] = (System.nanoTime() - startNs) / 1e9;
                bytes.forEach((channel, value) -> row[channel + 1] = value);
                samples.add(row);
            }
            Thread.sleep(50);
        }
        return samples;
    }

    /**
     * Before a fresh destination, makes {@code size} of the guest's free memory resident again by touching and
     * deleting a scratch file. This VM hands memory that stayed free for a while back to its host, and the first
     * touch of such memory costs about three times a touch of memory freed a moment ago (measured: 2 GiB into a
     * fresh tmpfs mapping took 6.1-6.5 s after 45 idle seconds, 2.4-2.5 s right after another run). Without this,
     * whoever runs right after another participant freed its memory wins; with it every fresh run starts alike.
     */
    void warmAllocator(final long size, final String destination) {
        warmAllocator(work, size, destination);
    }

    /** As {@link #warmAllocator(long, String)}, with the scratch file in {@code work}. */
    static void warmAllocator(final Path work, final long size, final String destination) {
        if (!"fresh".equals(destination)) {
            return;
        }
        final Path scratch = work.resolve("allocator-warm-up.ram");
        MemoryFiles.createSparse(scratch, size);
        MemoryFiles.touchEveryPage(scratch, size, RamBlock.DEFAULT_PAGE_SIZE, 2);
        MemoryFiles.deleteQuietly(scratch);
    }

    /** The raw baseline's transfer time, seconds: sendfile ({@code transferTo}) or writes from the mapping. */
    double raw(final Path source, final long size, final String destination, final int channels,
        final boolean transferTo) throws Exception {
        warmAllocator(size, destination);
        final int port = Runs.freePort();
        final String classpath = System.getProperty("java.class.path");
        final Path receiveLog = work.resolve("raw-receive.log");
        final Process receiver = Runs.java(receiveLog, List.of("-cp", classpath, RawTransfer.class.getName(),
            "receive", Integer.toString(port), Integer.toString(channels), work.resolve("raw.ram").toString(),
            Long.toString(size), destination));
        try {
            Runs.awaitLine(receiveLog, "listening", receiver);
            final Path sendLog = work.resolve("raw-send.log");
            Runs.await(Runs.java(sendLog, List.of("-cp", classpath, RawTransfer.class.getName(), "send",
                Integer.toString(port), Integer.toString(channels), source.toString(),
                transferTo ? "transferTo" : "write")), sendLog);
            Runs.await(receiver, receiveLog);
        } finally {
            receiver.destroyForcibly();
        }
        return Runs.number(Files.readString(receiveLog), "transfer-ns") / 1e9;
    }

    /** iperf3 moving {@code size} bytes over {@code channels} streams, seconds; with {@code zeroCopy}, -Z. */
    double iperf(final long size, final int channels, final boolean zeroCopy) throws Exception {
        final int port = Runs.freePort();
        final Path serverLog = work.resolve("iperf-server.log");
        final Process server = Runs.start(serverLog, List.of("iperf3", "-s", "-1", "-B", "127.0.0.1", "-p",
            Integer.toString(port)));
        try {
            Thread.sleep(200);
            final Path clientLog = work.resolve("iperf-client.json");
            final List<String> client = new ArrayList<>(List.of("iperf3", "-c", "127.0.0.1", "-p",
                Integer.toString(port), "-P", Integer.toString(channels), "-n", Long.toString(size), "-J"));
            if (zeroCopy) {
                client.add("-Z");
            }
            Runs.await(Runs.start(clientLog, client), clientLog);
            final String json = Files.readString(clientLog);
            final String end = json.substring(json.lastIndexOf("\"sum_received\""));
            return Double.parseDouble(end.replaceAll("(?s).*?\"seconds\":\\s*([0-9.eE+-]+).*", "$1"));
        } finally {
            server.destroyForcibly();
        }
    }

    /** Installs iperf3 from Debian's packages when it is missing; false if it cannot be had. */
    static boolean ensureIperf(final Path work) throws Exception {
        if (exits0(work, List.of("iperf3", "--version"))) {
            return true;
        }
        System.out.println("installing iperf3 (Debian's package) for the baseline");
        if (!exits0(work, List.of("apt-get", "install", "-y", "iperf3"))) {
            exits0(work, List.of("apt-get", "update"));
            exits0(work, List.of("apt-get", "install", "-y", "iperf3"));
        }
        return exits0(work, List.of("iperf3", "--version"));
    }

    static boolean exits0(final Path work, final List<String> command) {
        try {
            final Process process = Runs.start(work.resolve("command.log"), command);
            return process.waitFor() == 0;
        } catch (final Exception ex) {
            return false;
        }
    }
}
