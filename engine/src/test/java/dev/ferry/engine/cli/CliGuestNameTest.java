package dev.ferry.engine.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code send --name} and {@code receive --data-dir}: a guest lands as its name, and bad names stop at the door. */
final class CliGuestNameTest {
    @TempDir
    Path dir;

    @Test
    @Timeout(120)
    void aGuestSentByNameLandsInTheDataDirectoryAsThatName() throws Exception {
        final Path secret = CliTest.secretFile(dir);
        final Path source = dir.resolve("vm-7.ram");
        final byte[] content = new byte[1 << 20];
        new java.util.Random(7).nextBytes(content);
        Files.write(source, content);
        final Path guests = Files.createDirectory(dir.resolve("guests"));
        final int port = CliTest.freePort();
        final Path receiveLog = dir.resolve("receive.log");
        final Process receiver = CliTest.process(receiveLog, "receive", "--listen", "127.0.0.1:" + port,
            "--data-dir", guests.toString(), "--secret-file", secret.toString());
        try {
            CliTest.awaitLine(receiveLog, "listening on", receiver);
            final CliTest.Run send = CliTest.inProcess("send", "--connect", "127.0.0.1:" + port, "--memory-file",
                source.toString(), "--channels", "2", "--secret-file", secret.toString());
            assertEquals(0, send.exitCode(), send.err());
            assertTrue(receiver.waitFor(60, TimeUnit.SECONDS));
            assertEquals(0, receiver.exitValue(), Files.readString(receiveLog));
        } finally {
            receiver.destroyForcibly();
        }
        assertArrayEquals(content, Files.readAllBytes(guests.resolve("vm-7.ram")), "named by the memory file");
        assertTrue(Files.readString(receiveLog).contains("received guest vm-7.ram into " + guests.resolve("vm-7.ram")),
            Files.readString(receiveLog));
    }

    /** receive --count 3: three sends at once into one endpoint, each into DIR/NAME, one JSON object per guest. */
    @Test
    @Timeout(120)
    void threeGuestsAtOnceIntoOneReceiver() throws Exception {
        final Path secret = CliTest.secretFile(dir);
        final Path guests = Files.createDirectory(dir.resolve("guests"));
        final int port = CliTest.freePort();
        final Path receiveLog = dir.resolve("receive.log");
        final Path json = dir.resolve("receive.json");
        final Process receiver = CliTest.process(receiveLog, "receive", "--listen", "127.0.0.1:" + port,
            "--data-dir", guests.toString(), "--count", "3", "--secret-file", secret.toString(), "--stats-json",
            json.toString());
        final java.util.List<Thread> senders = new java.util.ArrayList<>();
        final java.util.Map<String, CliTest.Run> runs = new java.util.concurrent.ConcurrentHashMap<>();
        try {
            CliTest.awaitLine(receiveLog, "listening on", receiver);
            for (final String name : java.util.List.of("a", "b", "c")) {
                final Path source = dir.resolve(name + ".ram");
                final byte[] content = new byte[1 << 20];
                new java.util.Random(name.hashCode()).nextBytes(content);
                Files.write(source, content);
                final Thread sender = new Thread(() -> runs.put(name, CliTest.inProcess("send", "--connect",
                    "127.0.0.1:" + port, "--memory-file", source.toString(), "--name", name, "--secret-file",
                    secret.toString())));
                sender.start();
                senders.add(sender);
            }
            for (final Thread sender : senders) {
                sender.join(60_000);
            }
            assertTrue(receiver.waitFor(60, TimeUnit.SECONDS));
            assertEquals(0, receiver.exitValue(), Files.readString(receiveLog));
        } finally {
            receiver.destroyForcibly();
        }
        for (final String name : java.util.List.of("a", "b", "c")) {
            assertEquals(0, runs.get(name).exitCode(), runs.get(name).err());
            assertArrayEquals(Files.readAllBytes(dir.resolve(name + ".ram")), Files.readAllBytes(guests.resolve(name)));
        }
        final String report = Files.readString(json);
        assertTrue(report.startsWith("[") && report.contains("\"guest\": \"a\"") && report.contains("\"guest\": \"c\""),
            report);
    }

    @Test
    void badNamesAndBadPlacesAreUsageErrorsThatSayWhy() throws Exception {
        final Path secret = CliTest.secretFile(dir);
        final Path source = Files.write(dir.resolve("guest.ram"), new byte[4096]);
        final CliTest.Run escaping = CliTest.inProcess("send", "--connect", "127.0.0.1:9", "--memory-file",
            source.toString(), "--name", "../../etc/passwd", "--secret-file", secret.toString());
        assertEquals(2, escaping.exitCode(), escaping.err());
        assertTrue(escaping.err().contains("--name: the guest name '../../etc/passwd' starts with '.'"), escaping.err());
        final Path spaced = Files.write(dir.resolve("my guest.ram"), new byte[4096]);
        final CliTest.Run defaulted = CliTest.inProcess("send", "--connect", "127.0.0.1:9", "--memory-file",
            spaced.toString(), "--secret-file", secret.toString());
        assertEquals(2, defaulted.exitCode(), defaulted.err());
        assertTrue(defaulted.err().contains("the memory file's name cannot name the guest"), defaulted.err());
        assertTrue(defaulted.err().contains("give --name NAME"), defaulted.err());
        final CliTest.Run both = CliTest.inProcess("receive", "--listen", "127.0.0.1:0", "--memory-file",
            dir.resolve("x.ram").toString(), "--data-dir", dir.toString(), "--secret-file", secret.toString());
        assertEquals(2, both.exitCode(), both.err());
        assertTrue(both.err().contains("give --memory-file PATH"), both.err());
        final Path link = Files.createSymbolicLink(dir.resolve("link"), dir);
        final CliTest.Run linked = CliTest.inProcess("receive", "--listen", "127.0.0.1:0", "--data-dir",
            link.toString(), "--secret-file", secret.toString());
        assertEquals(2, linked.exitCode(), linked.err());
        assertTrue(linked.err().contains("refused: it is a symbolic link"), linked.err());
        final Path open = Files.createDirectory(dir.resolve("open"));
        Files.setPosixFilePermissions(open, java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxrwx"));
        final CliTest.Run shared = CliTest.inProcess("receive", "--listen", "127.0.0.1:0", "--data-dir",
            open.toString(), "--secret-file", secret.toString());
        assertEquals(2, shared.exitCode(), shared.err());
        assertTrue(shared.err().contains("refused: it is writable by its group or by others"), shared.err());
        final CliTest.Run countWithoutDir = CliTest.inProcess("receive", "--listen", "127.0.0.1:0", "--memory-file",
            dir.resolve("y.ram").toString(), "--count", "2", "--secret-file", secret.toString());
        assertEquals(2, countWithoutDir.exitCode(), countWithoutDir.err());
        assertTrue(countWithoutDir.err().contains("--count and --max-incoming need --data-dir"), countWithoutDir.err());
        for (final CliTest.Run run : new CliTest.Run[] {escaping, defaulted, both, linked, shared, countWithoutDir}) {
            assertFalse(run.err().contains("Exception") || run.err().contains("java."), run.err());
        }
    }
}
