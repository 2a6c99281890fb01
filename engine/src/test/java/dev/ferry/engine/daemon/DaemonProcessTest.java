package dev.ferry.engine.daemon;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ferry.engine.cli.FerryCli;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code ferry daemon} as an operator runs it, in JVMs of its own: the control socket private and refused to a
 * second daemon while the first lives; {@code kill -9} in the middle of a migration, then a restart that removes
 * the partial guest and the stale socket and takes a new migration of the same name; SIGTERM's drain and exit 0.
 */
final class DaemonProcessTest {
    private static final int MIB = 1 << 20;

    @Test
    void killedMidMigrationThenRestartedItCleansUpAndTakesTheGuestAgain(@TempDir final Path dir) throws Exception {
        final Path data = Files.createDirectories(dir.resolve("data"));
        Files.setPosixFilePermissions(data, PosixFilePermissions.fromString("rwx------"));
        final Path socket = dir.resolve("run").resolve("ferry.sock");
        final String[] args = {"daemon", "--insecure", "--listen", "127.0.0.1:0", "--data-dir", data.toString(),
            "--control", "unix:" + socket, "--counters-dir", dir.resolve("counters").toString()};
        final Path firstLog = dir.resolve("first.log");
        final Process first = daemon(dir, firstLog, args);
        try (DaemonUnderTest sender = DaemonUnderTest.start(dir.resolve("sender"), false, 8, 5_000, null)) {
            final String port = awaitRunning(firstLog, first);
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)));
            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket.getParent())));

            secondIsRefused(dir, args);

            final Path guest = DaemonUnderTest.guestFile(dir, "vm.img", 32 * MIB);
            final String body = "{\"connect\": \"127.0.0.1:" + port + "\", \"memory-file\": \"" + guest + "\", " +
                "\"name\": \"vm-1\", \"max-bandwidth\": \"1m/s\"}";
            final String id = sender.expect(201, "POST", "/v1/migrations", body).get("id").asText();
            sender.await(id, node -> node.path("transferred-bytes").asLong() > MIB, 30_000);
            assertEquals(1, partials(data).size(), "the guest is being written to its partial file");
            first.destroyForcibly(); // kill -9
            assertTrue(first.waitFor(30, TimeUnit.SECONDS));
            assertEquals("failed", sender.awaitEnded(id).get("state").asText());
            assertEquals(1, partials(data).size(), "a killed daemon leaves its partial file");
            assertTrue(Files.exists(socket), "and its socket");

            final Path thirdLog = dir.resolve("third.log");
            final Process third = daemon(dir, thirdLog, args);
            try {
                final String port3 = awaitRunning(thirdLog, third);
                final String log = Files.readString(thirdLog);
                assertTrue(log.contains("removed " + data.resolve("vm-1")) && log.contains(".partial, the partial " +
                    "guest of a migration that was running when its daemon or receiver stopped"), log);
                assertTrue(log.contains("removed the stale socket " + socket + " (--control)"), log);
                assertEquals(List.of(), partials(data));
                final String again = sender.expect(201, "POST", "/v1/migrations", body.replace(port, port3)
                    .replace("1m/s", "unlimited")).get("id").asText();
                final JsonNode ended = sender.awaitEnded(again);
                assertEquals("completed", ended.get("state").asText(), ended.toString());
                assertArrayEquals(Files.readAllBytes(guest), Files.readAllBytes(data.resolve("vm-1")));

                third.destroy(); // SIGTERM
                assertTrue(third.waitFor(60, TimeUnit.SECONDS));
                assertEquals(0, third.exitValue(), Files.readString(thirdLog));
                assertTrue(Files.readString(thirdLog).contains("ferry: daemon stopped (SIGTERM)"),
                    Files.readString(thirdLog));
                assertTrue(!Files.exists(socket), "a daemon that stops removes its socket");
            } finally {
                third.destroyForcibly();
            }
        } finally {
            first.destroyForcibly();
        }
    }

    /** A second daemon on the same control socket exits 2 before it takes anything, with no drain to report. */
    private static void secondIsRefused(final Path dir, final String[] args) throws Exception {
        final Path secondLog = dir.resolve("second.log");
        final Process second = daemon(dir, secondLog, args);
        assertTrue(second.waitFor(60, TimeUnit.SECONDS));
        assertEquals(FerryCli.EXIT_USAGE, second.exitValue(), Files.readString(secondLog));
        assertTrue(Files.readString(secondLog).contains("is held by another daemon"),
            Files.readString(secondLog));
        assertFalse(Files.readString(secondLog).contains("draining"), "a daemon that cannot have its control " +
            "socket stops before it takes anything, with no drain to report: " + Files.readString(secondLog));

    }

    private static List<Path> partials(final Path data) throws IOException {
        try (Stream<Path> files = Files.list(data)) {
            return files.filter(file -> file.getFileName().toString().endsWith(".partial")).toList();
        }
    }

    /** {@code ferry ARGS} in a JVM of its own, its output to {@code log}. */
    private static Process daemon(final Path dir, final Path log, final String... args) throws IOException {
        final List<String> command = new ArrayList<>(List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED", "-Xmx256m", "-XX:TieredStopAtLevel=1",
            "-cp", System.getProperty("java.class.path"), FerryCli.class.getName()));
        command.addAll(List.of(args));
        return new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
            .redirectOutput(log.toFile()).start();
    }

    /** Waits (bounded) for the daemon's "running" line; the port it listens on. */
    private static String awaitRunning(final Path log, final Process process) throws Exception {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() - deadline < 0) {
            final String text = Files.exists(log) ? Files.readString(log) : "";
            final java.util.regex.Matcher running = java.util.regex.Pattern
                .compile("daemon running: .*listening on 127\\.0\\.0\\.1:(\\d+)").matcher(text);
            if (running.find()) {
                return running.group(1);
            }
            assertTrue(process.isAlive(), "the daemon ended early: " + text);
            Thread.sleep(20);
        }
        throw new AssertionError("the daemon is not running: " + Files.readString(log));
    }
}
