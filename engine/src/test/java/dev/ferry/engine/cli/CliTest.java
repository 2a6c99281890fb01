package dev.ferry.engine.cli;

import dev.ferry.memory.BlockSpec;
import dev.ferry.memory.GuestMemory;
import dev.ferry.memory.internal.Fill;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The CLI contract: commands, flags, exit codes and JSON keys, in separate processes where it matters. */
final class CliTest {
    private static final String[] JSON_KEYS = {
        "\"status\"", "\"total-time-ms\"", "\"setup-time-ms\"", "\"transfer-time-ms\"", "\"downtime-ms\"",
        "\"verify-time-ms\"", "\"transferred-bytes\"", "\"throughput-bytes-per-sec\"", "\"normal-pages\"",
        "\"zero-pages\"", "\"rounds\"", "\"channels\"", "\"verified\""};

    @TempDir
    Path dir;

    record Run(int exitCode, String out, String err) {
    }

    static Run inProcess(final String... args) {
        final StringWriter out = new StringWriter();
        final StringWriter err = new StringWriter();
        final int code = FerryCli.run(new PrintWriter(out), new PrintWriter(err), args);
        return new Run(code, out.toString(), err.toString());
    }

    static Process process(final Path log, final String... args) throws IOException {
        return process(log, List.of(), args);
    }

    static Process process(final Path log, final List<String> jvmOptions, final String... args) throws IOException {
        final List<String> command = new ArrayList<>(List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED", "-Xmx256m"));
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), FerryCli.class.getName()));
        command.addAll(List.of(args));
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    /** JVM options that log every class the process loads into {@code ROLE-classes.txt}. */
    private List<String> classLog(final String role) {
        return List.of("-Xlog:class+load=info:file=" + dir.resolve(role + "-classes.txt"));
    }

    static long number(final String json, final String key) {
        final Matcher matcher = Pattern.compile("\"" + key + "\": (-?\\d+)").matcher(json);
        assertTrue(matcher.find(), key + " in " + json);
        return Long.parseLong(matcher.group(1));
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private Path secretFile() throws IOException {
        return secretFile(dir);
    }

    /**
     * A secret file of 40 random bytes (a newline among them: the bytes are the key exactly) in {@code dir}, owner
     * only, as docs/operations.md makes it (one every user can read is used with a warning).
     */
    static Path secretFile(final Path dir) throws IOException {
        final byte[] key = new byte[40];
        new SecureRandom().nextBytes(key);
        key[39] = '\n';
        final Path file = Files.write(dir.resolve("secret"), key);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        return file;
    }

    @ParameterizedTest
    @ValueSource(strings = {"none", "zstd"})
    @Timeout(120)
    void sendAndReceiveInTwoProcesses(final String compress) throws Exception {
        final Path secret = secretFile();
        final Path sourceFile = dir.resolve("source.ram");
        final Path destinationFile = dir.resolve("destination.ram");
        try (GuestMemory memory = GuestMemory.createFile(sourceFile, List.of(new BlockSpec(0, "ram", 48L << 20)), 4096)) {
            if ("none".equals(compress)) {
                Fill.mixed(memory.block(0), 0.3, 7);
            } else {
                Fill.compressible(memory.block(0), 1.0 / 3, 7);
            }
        }
        final int port = freePort();
        final Path receiveLog = dir.resolve("receive.log");
        final Process receiver = process(receiveLog, classLog("receive"), "receive", "--listen", "127.0.0.1:" + port,
            "--memory-file", destinationFile.toString(), "--secret-file", secret.toString(), "--stats-json",
            dir.resolve("receive.json").toString());
        try {
            awaitLine(receiveLog, "listening on", receiver);
            final Path sendLog = dir.resolve("send.log");
            final Process sender = process(sendLog, classLog("send"), "send", "--connect", "127.0.0.1:" + port,
                "--memory-file",
                sourceFile.toString(), "--channels", "2", "--secret-file", secret.toString(), "--dirty-rate", "20000",
                "--hot-set", "4m", "--compress", compress, "--stats-json", dir.resolve("send.json").toString(), "--hlog",
                dir.resolve("send.hlog").toString());
            awaitBothExitZero(sender, sendLog, 90, receiver, receiveLog);
        } finally {
            receiver.destroyForcibly();
        }
        assertArrayEquals(Files.readAllBytes(sourceFile), Files.readAllBytes(destinationFile),
            "the destination file must equal the source file's final state");
        assertHistogramLog(dir.resolve("send.hlog"));
        for (final String side : new String[] {"send", "receive"}) {
            final String classes = Files.readString(dir.resolve(side + "-classes.txt"));
            assertTrue(classes.contains("dev.ferry.engine.cli.FerryCli"), "the class log works: " + side);
            assertFalse(classes.contains("jdk.jfr.internal.MetadataRepository") || classes.contains("FlightEvents$"),
                side + " initialized JFR (0.1-0.4 s of a cold start) though nothing was recording");
        }
        for (final String side : new String[] {"send.json", "receive.json"}) {
            final String json = Files.readString(dir.resolve(side));
            for (final String key : JSON_KEYS) {
                assertTrue(json.contains(key), side + " lacks " + key + ": " + json);
            }
            assertTrue(json.contains("\"status\": \"completed\""), json);
            assertTrue(json.contains("\"verified\": true"), json);
            assertTrue(json.contains("\"compression\": \"" + compress + "\""), json);
            if ("none".equals(compress)) {
                assertTrue(json.contains("\"compression-ratio\": null"), json);
            } else {
                assertTrue(number(json, "compression-ratio") >= 2, "a guest that compresses about 3:1: " + json);
            }
            final long phases = number(json, "setup-time-ms") + number(json, "transfer-time-ms") +
                number(json, "verify-time-ms");
            assertTrue(number(json, "transfer-time-ms") >= 0 && phases <= number(json, "total-time-ms"),
                "setup + transfer + verify <= total: " + json);
        }
    }

    @Test
    @Timeout(120)
    void theReceiverReportsAFailureInItsJsonAndExitsOne() throws Exception {
        final Path secret = secretFile();
        final Path sourceFile = dir.resolve("source.ram");
        Files.write(sourceFile, new byte[1 << 20]);
        final int port = freePort();
        final Path receiveLog = dir.resolve("receive.log");
        final Path json = dir.resolve("receive.json");
        final Process receiver = process(receiveLog, "receive", "--listen", "127.0.0.1:" + port, "--memory-file",
            dir.resolve("destination.ram").toString(), "--secret-file", secret.toString(), "--stats-json",
            json.toString());
        try {
            awaitLine(receiveLog, "listening on", receiver);
            final Run send = inProcess("send", "--connect", "127.0.0.1:" + port, "--memory-file", sourceFile.toString(),
                "--channels", "1", "--secret-file", secret.toString(), "--verify", "none");
            assertEquals(1, send.exitCode, send.err);
            assertTrue(send.err.contains("verify mode mismatch"), send.err);
            assertTrue(receiver.waitFor(30, TimeUnit.SECONDS));
            assertEquals(1, receiver.exitValue(), Files.readString(receiveLog));
        } finally {
            receiver.destroyForcibly();
        }
        final String report = Files.readString(json);
        assertTrue(report.contains("\"status\": \"failed\""), report);
        assertTrue(report.contains("\"error\": \"verify mode mismatch"), report);
        assertFalse(Files.exists(dir.resolve("destination.ram")), "a failed receive leaves no memory file");
    }

    @Test
    @Timeout(120)
    void sigtermCancelsBothSidesCleanly() throws Exception {
        final Path secret = secretFile();
        final Path sourceFile = dir.resolve("source.ram");
        final Path destinationFile = dir.resolve("destination.ram");
        try (GuestMemory memory = GuestMemory.createFile(sourceFile, List.of(new BlockSpec(0, "ram", 768L << 20)),
            4096)) {
            Fill.random(memory.block(0), 3);
        }
        final int port = freePort();
        final Path receiveLog = dir.resolve("receive.log");
        final Process receiver = process(receiveLog, "receive", "--listen", "127.0.0.1:" + port, "--memory-file",
            destinationFile.toString(), "--secret-file", secret.toString(), "--stats-json",
            dir.resolve("receive.json").toString());
        Process sender = null;
        try {
            awaitLine(receiveLog, "listening on", receiver);
            sender = process(dir.resolve("send.log"), "send", "--connect", "127.0.0.1:" + port, "--memory-file",
                sourceFile.toString(), "--channels", "1", "--secret-file", secret.toString(), "--stats-json",
                dir.resolve("send.json").toString());
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            final Path partial = dir.resolve(destinationFile.getFileName() + "." + receiver.pid() + ".partial");
            while (!(Files.exists(partial) && Files.size(partial) > 0) && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            Thread.sleep(200);
            sender.destroy();
            assertTrue(sender.waitFor(30, TimeUnit.SECONDS), "send did not end on SIGTERM");
            assertTrue(receiver.waitFor(30, TimeUnit.SECONDS), "receive did not end");
            assertEquals(1, receiver.exitValue(), Files.readString(receiveLog));
        } finally {
            receiver.destroyForcibly();
            if (null != sender) {
                sender.destroyForcibly();
            }
        }
        final String sent = Files.readString(dir.resolve("send.json"));
        assertTrue(sent.contains("\"status\": \"cancelled\""), sent);
        final String received = Files.readString(dir.resolve("receive.json"));
        assertTrue(received.contains("\"status\": \"cancelled\""), received);
        assertTrue(received.contains("interrupted"), received);
        assertFalse(Files.exists(destinationFile), "the cancelled receiver never makes its memory file");
        try (java.util.stream.Stream<Path> left = Files.list(dir)) {
            assertTrue(left.noneMatch(p -> p.getFileName().toString().endsWith(".partial")),
                "the cancelled receiver deletes its partial file");
        }
    }

    @Test
    @Timeout(120)
    void demoWithNoFlagsMigratesAndVerifies() {
        final Run demo = inProcess("demo");
        assertEquals(0, demo.exitCode, demo.err);
        assertTrue(demo.err.contains("source: completed, verified"), demo.err);
        assertTrue(demo.err.contains("destination: completed, verified"), demo.err);
        assertTrue(demo.err.contains("1.0 GiB guest"), demo.err);
    }

    @Test
    @Timeout(30)
    void usageErrorsExitTwoWithOneClearLine() throws Exception {
        final Path file = Files.write(dir.resolve("m.ram"), new byte[8192]);
        final Run noSecret = inProcess("receive", "--listen", "127.0.0.1:0", "--memory-file", file.toString());
        assertEquals(2, noSecret.exitCode);
        assertTrue(noSecret.err.contains("--secret-file"), noSecret.err);
        assertFalse(noSecret.err.contains("\tat "), "no stack trace: " + noSecret.err);

        final Run badSize = inProcess("send", "--connect", "127.0.0.1:1", "--memory-file", file.toString(),
            "--insecure", "--dirty-rate", "5", "--hot-set", "12q");
        assertEquals(2, badSize.exitCode, badSize.err);
        assertTrue(badSize.err.contains("'12q' for --hot-set"), badSize.err);

        final Run badChannels = inProcess("send", "--connect", "127.0.0.1:1", "--memory-file", file.toString(),
            "--insecure", "--channels", "0");
        assertEquals(2, badChannels.exitCode, badChannels.err);
        assertTrue(badChannels.err.contains("channels 0"), badChannels.err);

        final Run shortSecret = inProcess("send", "--connect", "127.0.0.1:1", "--memory-file", file.toString(),
            "--secret-file", Files.write(dir.resolve("short"), new byte[5]).toString());
        assertEquals(2, shortSecret.exitCode, shortSecret.err);
        assertTrue(shortSecret.err.contains("holds 5 bytes"), shortSecret.err);

        final Run badAddress = inProcess("send", "--connect", "nowhere", "--memory-file", file.toString(),
            "--insecure");
        assertEquals(2, badAddress.exitCode);
        assertTrue(badAddress.err.contains("HOST:PORT"), badAddress.err);

        final Run badDuration = inProcess("receive", "--listen", "127.0.0.1:0", "--memory-file", file.toString(),
            "--insecure", "--idle-timeout", "5h");
        assertEquals(2, badDuration.exitCode, badDuration.err);
        assertTrue(badDuration.err.contains("'5h' for --idle-timeout"), badDuration.err);

        final Run noDirectory = inProcess("receive", "--listen", "127.0.0.1:0", "--memory-file",
            dir.resolve("missing/dir/m.ram").toString(), "--insecure");
        assertEquals(2, noDirectory.exitCode, noDirectory.err);
        assertTrue(noDirectory.err.contains("does not exist"), noDirectory.err);

        final Run busyPort;
        try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            busyPort = inProcess("receive", "--listen", "127.0.0.1:" + taken.getLocalPort(), "--memory-file",
                dir.resolve("busy.ram").toString(), "--insecure");
        }
        assertEquals(2, busyPort.exitCode, busyPort.err);
        assertTrue(busyPort.err.contains("cannot listen on"), busyPort.err);

        final Run unknown = inProcess("send", "--bogus");
        assertEquals(2, unknown.exitCode);
        assertEquals(2, inProcess().exitCode);
        assertEquals(0, inProcess("--help").exitCode);
    }

    @Test
    @Timeout(30)
    void aMigrationThatCannotConnectExitsOne() throws Exception {
        final Path file = Files.write(dir.resolve("m.ram"), new byte[8192]);
        final Run run = inProcess("send", "--connect", "127.0.0.1:" + freePort(), "--memory-file", file.toString(),
            "--insecure", "--stats-json", dir.resolve("s.json").toString());
        assertEquals(1, run.exitCode, run.err);
        assertTrue(run.err.contains("cannot connect"), run.err);
        assertTrue(Files.readString(dir.resolve("s.json")).contains("\"status\": \"failed\""));
    }

    /** The .hlog holds the three tagged histograms per round, and the packet latency ones a sample per packet. */
    private static void assertHistogramLog(final Path hlog) throws IOException {
        final java.util.Map<String, Long> counts = new java.util.HashMap<>();
        try (java.io.InputStream in = Files.newInputStream(hlog)) {
            final org.HdrHistogram.HistogramLogReader reader = new org.HdrHistogram.HistogramLogReader(in);
            org.HdrHistogram.EncodableHistogram histogram;
            while (null != (histogram = reader.nextIntervalHistogram())) {
                counts.merge(histogram.getTag(), ((org.HdrHistogram.Histogram)histogram).getTotalCount(), Long::sum);
            }
        }
        assertEquals(java.util.Set.of("packet-latency-ns", "sync-barrier-latency-ns", "bitmap-sync-ns"),
            counts.keySet());
        final long roundZeroPackets = 48L * 256 / dev.ferry.engine.protocol.Protocol.MAX_PAGES_PER_PACKET;
        assertTrue(counts.get("packet-latency-ns") > roundZeroPackets, "packets recorded: " + counts);
        assertTrue(counts.get("sync-barrier-latency-ns") >= 1, counts.toString());
    }

    /** Waits for {@code sender} (up to {@code sendSeconds}), then the receiver; both must exit 0 (else: their logs). */
    static void awaitBothExitZero(final Process sender, final Path sendLog, final long sendSeconds,
        final Process receiver, final Path receiveLog) throws Exception {
        assertTrue(sender.waitFor(sendSeconds, TimeUnit.SECONDS), "send did not finish");
        assertTrue(receiver.waitFor(60, TimeUnit.SECONDS), "receive did not finish");
        assertEquals(0, sender.exitValue(), Files.readString(sendLog));
        assertEquals(0, receiver.exitValue(), Files.readString(receiveLog));
    }

    static void awaitLine(final Path log, final String text, final Process process) throws Exception {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            if (Files.exists(log)) {
                try (BufferedReader reader = new BufferedReader(new InputStreamReader(Files.newInputStream(log),
                    StandardCharsets.UTF_8))) {
                    if (reader.lines().anyMatch(line -> line.contains(text))) {
                        return;
                    }
                }
            }
            if (!process.isAlive()) {
                throw new AssertionError("process ended early: " + Files.readString(log));
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no '" + text + "' in " + log + ": " + Files.readString(log));
    }
}
