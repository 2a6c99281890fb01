package dev.ferry.engine;

import dev.ferry.engine.cli.FerryCli;
import dev.ferry.memory.BlockSpec;
import dev.ferry.memory.GuestMemory;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A receiver that completes while other addresses (127.0.0.2 and .3) hold its handshake slots with stalled HELLOs
 * must exit 0, not die of SIGSEGV: closing the door refuses those handshakes, and their refusals are counted in the
 * counters file, which the receiver unmaps as it ends. The receiver is a process of its own (a crash there is an
 * exit code and an hs_err file, not the end of the test JVM) with its counters file in a directory of the test's.
 * CI runs a few; {@code -Dferry.shutdown.runs=N} (or {@code -Pslow}, 20) runs more.
 */
final class ReceiverShutdownTest {
    private static final List<BlockSpec> SMALL = List.of(new BlockSpec(0, "pc.ram", 4L << 20));

    @TempDir
    Path dir;

    @Test
    @Timeout(300)
    void aReceiverFloodedFromOtherAddressesExitsCleanlyAfterItsMigration() throws Exception {
        receiveWhileFlooded(Integer.getInteger("ferry.shutdown.runs", 4));
    }

    @Test
    @Tag("slow")
    @Timeout(1200)
    void twentyReceiversFloodedFromOtherAddressesExitCleanly() throws Exception {
        receiveWhileFlooded(Integer.getInteger("ferry.shutdown.runs", 20));
    }

    private void receiveWhileFlooded(final int runs) throws Exception {
        final byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        final Path secret = Files.write(dir.resolve("secret"), key);
        Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-------"));
        for (int run = 0; run < runs; run++) {
            final Path runDir = Files.createDirectory(dir.resolve("run-" + run));
            final int port = freePort();
            final Path log = runDir.resolve("receive.log");
            final Process receiver = receiver(runDir, log, "receive", "--listen", "127.0.0.1:" + port, "--memory-file",
                runDir.resolve("guest.ram").toString(), "--secret-file", secret.toString(), "--counters-dir",
                runDir.resolve("counters").toString());
            try {
                awaitListening(log, receiver);
                final InetSocketAddress address = new InetSocketAddress("127.0.0.1", port);
                try (Attackers two = new Attackers(Attackers.Kind.WHOLE_HELLO, address, "127.0.0.2")
                    .awaitOpened(Attackers.HELD, 10_000);
                     Attackers three = new Attackers(Attackers.Kind.WHOLE_HELLO, address, "127.0.0.3")
                         .awaitOpened(Attackers.HELD, 10_000);
                     GuestMemory source = Guests.filled(Guests.anonymous(SMALL), run)) {
                    final MigrationResult result = MigrationSource.start(new MigrationSource.Context()
                        .destination(address).memory(source).secret(Secret.of(key)).channels(4)).result()
                        .get(60, TimeUnit.SECONDS);
                    assertEquals(MigrationStatus.COMPLETED, result.status(), result.error());
                    assertTrue(receiver.waitFor(60, TimeUnit.SECONDS), "the receiver did not end");
                }
                assertEquals(0, receiver.exitValue(), "run " + run + ": " + Files.readString(log));
                try (Stream<Path> files = Files.list(runDir)) {
                    assertEquals(List.of(), files.filter(file -> file.getFileName().toString().startsWith("hs_err"))
                        .toList(), "run " + run + ": the receiver's JVM crashed");
                }
            } finally {
                receiver.destroyForcibly();
            }
        }
    }

    /** {@code ferry ARGS} in a JVM of its own, working in {@code runDir} (where a crash leaves its hs_err file). */
    private static Process receiver(final Path runDir, final Path log, final String... args) throws IOException {
        final List<String> command = new ArrayList<>(List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED", "-Xmx256m",
            "-XX:ErrorFile=" + runDir.resolve("hs_err_pid%p.log"),
            "-cp", System.getProperty("java.class.path"), FerryCli.class.getName()));
        command.addAll(List.of(args));
        return new ProcessBuilder(command).directory(runDir.toFile()).redirectErrorStream(true)
            .redirectOutput(log.toFile()).start();
    }

    private static void awaitListening(final Path log, final Process process) throws Exception {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            if (Files.exists(log) && Files.readString(log).contains("listening on")) {
                return;
            }
            assertTrue(process.isAlive(), "the receiver ended early: " + (Files.exists(log) ? Files.readString(log) : ""));
            Thread.sleep(20);
        }
        throw new AssertionError("the receiver is not listening: " + Files.readString(log));
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
