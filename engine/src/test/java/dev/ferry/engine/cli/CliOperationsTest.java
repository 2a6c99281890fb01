package dev.ferry.engine.cli;

import dev.ferry.engine.cli.CliTest.Run;
import dev.ferry.memory.BlockSpec;
import dev.ferry.memory.GuestMemory;
import dev.ferry.memory.internal.Fill;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static dev.ferry.engine.cli.CliTest.awaitLine;
import static dev.ferry.engine.cli.CliTest.freePort;
import static dev.ferry.engine.cli.CliTest.inProcess;
import static dev.ferry.engine.cli.CliTest.process;
import static dev.ferry.engine.cli.CliTest.secretFile;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The CLI as an operator runs it: ferry stat, signals, a prefaulted receiver, the usage rules of the options. */
final class CliOperationsTest {
    @TempDir
    Path dir;

    @Test
    @Timeout(120)
    void statShowsALiveMigrationsCountersFromAnotherProcessAndFilesGoAtExit() throws Exception {
        final Path secret = secretFile(dir);
        final Path counters = dir.resolve("counters");
        final Path sourceFile = Files.write(dir.resolve("source.ram"), new byte[1 << 20]);
        final int port = freePort();
        final Path receiveLog = dir.resolve("receive.log");
        final Process receiver = process(receiveLog, "receive", "--listen", "127.0.0.1:" + port, "--memory-file",
            dir.resolve("destination.ram").toString(), "--secret-file", secret.toString(), "--counters-dir",
            counters.toString());
        try {
            awaitLine(receiveLog, "listening on", receiver);
            final Path statLog = dir.resolve("stat.log");
            final Process stat = process(statLog, "stat", counters.toString());
            assertTrue(stat.waitFor(60, TimeUnit.SECONDS), "stat did not finish");
            assertEquals(0, stat.exitValue());
            final String lines = Files.readString(statLog);
            assertTrue(lines.contains(receiver.pid() + " destination status 0"), lines);
            assertTrue(lines.contains(receiver.pid() + " destination transferred-bytes "), lines);
            assertTrue(lines.contains(receiver.pid() + " destination rejected-connections 0"), lines);
            final Run send = inProcess("send", "--connect", "127.0.0.1:" + port, "--memory-file", sourceFile.toString(),
                "--secret-file", secret.toString(), "--counters-dir", counters.toString());
            assertEquals(0, send.exitCode(), send.err());
            assertTrue(receiver.waitFor(30, TimeUnit.SECONDS));
            assertEquals(0, receiver.exitValue(), Files.readString(receiveLog));
        } finally {
            receiver.destroyForcibly();
        }
        try (var files = Files.list(counters)) {
            assertEquals(List.of(), files.toList(), "each process removes its counters file when it ends");
        }
        assertTrue(inProcess("stat", counters.toString()).err().contains("no running migration"));
    }

    @Test
    @Timeout(120)
    void sigtermCancelsReportsOnceAndExitsOne() throws Exception {
        final Path receiveLog = dir.resolve("receive.log");
        final Path json = dir.resolve("receive.json");
        final Process receiver = process(receiveLog, "receive", "--listen", "127.0.0.1:" + freePort(),
            "--memory-file", dir.resolve("destination.ram").toString(), "--insecure", "--stats-json", json.toString(),
            "--counters-dir", dir.resolve("counters").toString());
        try {
            awaitLine(receiveLog, "listening on", receiver);
            receiver.destroy();
            assertTrue(receiver.waitFor(30, TimeUnit.SECONDS), "receive did not end on SIGTERM");
            final String log = Files.readString(receiveLog);
            assertEquals(1, receiver.exitValue(), log);
            assertEquals(1, log.split("destination: cancelled", -1).length - 1, "one report: " + log);
            assertTrue(Files.readString(json).contains("\"status\": \"cancelled\""));
        } finally {
            receiver.destroyForcibly();
        }
    }

    @Test
    void eitherASecretFileOrInsecureNotBothAndTheVersionComesFromTheBuild() throws IOException {
        final Run both = inProcess("receive", "--listen", "127.0.0.1:0", "--memory-file",
            dir.resolve("d.ram").toString(), "--insecure", "--secret-file", secretFile(dir).toString());
        assertEquals(2, both.exitCode(), both.err());
        assertTrue(both.err().contains("mutually exclusive"), both.err());
        final Run version = inProcess("--version");
        assertEquals(0, version.exitCode());
        final String expected = null == FerryCli.class.getPackage().getImplementationVersion() ? "development" :
            FerryCli.class.getPackage().getImplementationVersion();
        assertEquals("ferry " + expected, version.out().trim());
    }

    @Test
    @Timeout(120)
    void receiveIntoAPrefaultedFileOfTheRightSizeOnly() throws Exception {
        final Path secret = secretFile(dir);
        final Path sourceFile = dir.resolve("source.ram");
        try (GuestMemory memory = GuestMemory.createFile(sourceFile, List.of(new BlockSpec(0, "ram", 8L << 20)), 4096)) {
            Fill.mixed(memory.block(0), 0.5, 3);
        }
        final Path destinationFile = dir.resolve("destination.ram");
        final int port = freePort();
        final Path receiveLog = dir.resolve("receive.log");
        final Process receiver = process(receiveLog, "receive", "--listen", "127.0.0.1:" + port, "--memory-file",
            destinationFile.toString(), "--ram", "8m", "--prefault", "--secret-file", secret.toString(),
            "--stats-json", dir.resolve("receive.json").toString());
        try {
            awaitLine(receiveLog, "listening on", receiver);
            assertTrue(Files.readString(receiveLog).contains("prefaulted " + destinationFile), Files.readString(receiveLog));
            final Run send = inProcess("send", "--connect", "127.0.0.1:" + port, "--memory-file", sourceFile.toString(),
                "--secret-file", secret.toString());
            assertEquals(0, send.exitCode(), send.err());
            assertTrue(receiver.waitFor(30, TimeUnit.SECONDS));
            assertEquals(0, receiver.exitValue(), Files.readString(receiveLog));
        } finally {
            receiver.destroyForcibly();
        }
        assertArrayEquals(Files.readAllBytes(sourceFile), Files.readAllBytes(destinationFile));
        final Path wrongSize = dir.resolve("wrong.ram");
        final Process small = process(dir.resolve("small.log"), "receive", "--listen", "127.0.0.1:" + port,
            "--memory-file", wrongSize.toString(), "--ram", "4m", "--secret-file", secret.toString());
        try {
            awaitLine(dir.resolve("small.log"), "listening on", small);
            final Run refused = inProcess("send", "--connect", "127.0.0.1:" + port, "--memory-file",
                sourceFile.toString(), "--secret-file", secret.toString());
            assertEquals(1, refused.exitCode(), refused.err());
            assertTrue(refused.err().contains("holds exactly 4194304 bytes"), refused.err());
            assertTrue(small.waitFor(30, TimeUnit.SECONDS));
            assertEquals(1, small.exitValue());
        } finally {
            small.destroyForcibly();
        }
        assertFalse(Files.exists(wrongSize), "a refused destination deletes its file");
        final Run noSize = inProcess("receive", "--listen", "127.0.0.1:0", "--memory-file", wrongSize.toString(),
            "--prefault", "--insecure");
        assertEquals(2, noSize.exitCode(), noSize.err());
        assertTrue(noSize.err().contains("--prefault needs --ram"), noSize.err());
    }
}
