package dev.ferry.engine.cli;

import dev.ferry.memory.BlockSpec;
import dev.ferry.memory.GuestMemory;
import dev.ferry.memory.internal.Fill;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static dev.ferry.engine.cli.CliTest.awaitLine;
import static dev.ferry.engine.cli.CliTest.inProcess;
import static dev.ferry.engine.cli.CliTest.process;
import static dev.ferry.engine.cli.CliTest.secretFile;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code --listen unix:PATH} and {@code --connect unix:PATH}: a local migration between two processes. */
final class CliUnixSocketTest {
    @TempDir
    Path dir;

    @Test
    @Timeout(120)
    void sendAndReceiveOverAUnixSocket() throws Exception {
        final Path secret = secretFile(dir);
        final Path source = dir.resolve("source.ram");
        final Path destination = dir.resolve("destination.ram");
        final Path socket = dir.resolve("ferry.sock");
        try (GuestMemory memory = GuestMemory.createFile(source, List.of(new BlockSpec(0, "ram", 32L << 20)), 4096)) {
            Fill.mixed(memory.block(0), 0.3, 4);
        }
        final Path receiveLog = dir.resolve("receive.log");
        final Process receiver = process(receiveLog, "receive", "--listen", "unix:" + socket, "--memory-file",
            destination.toString(), "--secret-file", secret.toString());
        try {
            awaitLine(receiveLog, "listening on unix:" + socket, receiver);
            final Path sendLog = dir.resolve("send.log");
            final Process sender = process(sendLog, "send", "--connect", "unix:" + socket, "--memory-file",
                source.toString(), "--secret-file", secret.toString(), "--dirty-rate", "10000", "--hot-set", "4m");
            CliTest.awaitBothExitZero(sender, sendLog, 90, receiver, receiveLog);
        } finally {
            receiver.destroyForcibly();
        }
        assertArrayEquals(Files.readAllBytes(source), Files.readAllBytes(destination));
        assertFalse(Files.exists(socket), "the receiver removes its socket file");
    }

    @Test
    @Timeout(30)
    void aUnixAddressWithoutAPathIsAUsageError() throws Exception {
        final Path file = Files.write(dir.resolve("m.ram"), new byte[8192]);
        final CliTest.Run run = inProcess("send", "--connect", "unix:", "--memory-file", file.toString(), "--insecure");
        assertEquals(2, run.exitCode(), run.err());
        assertTrue(run.err().contains("unix:PATH with a path"), run.err());
    }
}
