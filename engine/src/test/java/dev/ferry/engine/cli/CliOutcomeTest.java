package dev.ferry.engine.cli;

import dev.ferry.engine.MigrationDestination;
import dev.ferry.engine.MigrationResult;
import dev.ferry.engine.MigrationStatus;
import dev.ferry.engine.Secret;
import dev.ferry.engine.TestCertificates;
import dev.ferry.engine.TestHooks;
import dev.ferry.memory.BlockSpec;
import dev.ferry.memory.GuestMemory;
import dev.ferry.memory.internal.Fill;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** How a {@code send} ends, as its operator sees it: the outcome, and what happened to the guest. */
final class CliOutcomeTest {
    /** A Java class name, or the word every exception's class name ends with. */
    private static final Pattern JAVA_NAME = Pattern.compile("\\b(java|javax|sun|jdk)\\.[a-z]|Exception\\b|Error:");

    /** The source's APPLIED deadline with the default downtime limit: 300 ms + 5 s. */
    private static final long APPLIED_DEADLINE_MS = 5_300;

    @TempDir
    Path dir;

    /**
     * Issue 17, finding 6: a {@code send} stopped (SIGSTOP) after COMPLETE and continued after its APPLIED deadline
     * found the destination's APPLIED waiting in its socket, yet reported "unknown (no APPLIED within 5300 ms)" in 2
     * of 3 runs, left the guest paused and made the destination delete its verified copy. The destination, in this
     * JVM, holds its first page until the sender has had time to write everything up to COMPLETE, then the sender is
     * stopped and the destination let go: it answers APPLIED while the sender is stopped (checked, else the attempt
     * proves nothing and is made again with a longer margin), and the sender is continued past its deadline. It must
     * complete, verified. (On the old code the outcome depended on which of the sender's threads ran first after
     * SIGCONT; {@code SourceInboxTest} replays that order deterministically.)
     */
    @Test
    @Timeout(180)
    void aSenderStoppedAfterCompleteAndContinuedPastItsDeadlineCompletes() throws Exception {
        final Path secret = CliTest.secretFile(dir);
        final Path sourceFile = dir.resolve("source.ram");
        try (GuestMemory memory = GuestMemory.createFile(sourceFile, List.of(new BlockSpec(0, "ram", 1L << 20)), 4096)) {
            Fill.random(memory.block(0), 17);
        }
        for (int attempt = 0; attempt < 3; attempt++) {
            if (stopAfterComplete(secret, sourceFile, 250L << attempt, attempt)) {
                return;
            }
        }
        fail("in 3 attempts the sender was never stopped between COMPLETE and APPLIED");
    }

    /** One attempt; false if the destination did not answer APPLIED while the sender was stopped. */
    private boolean stopAfterComplete(final Path secret, final Path sourceFile, final long marginMs, final int attempt)
        throws Exception {
        final CountDownLatch firstPage = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        final Path log = dir.resolve("send-" + attempt + ".log");
        try (MigrationDestination destination = MigrationDestination.start(TestHooks.pageApplyListener(
            new MigrationDestination.Context().secret(Secret.fromFile(secret)), (channel, block, page) -> {
                firstPage.countDown();
                awaitQuietly(release);
            }))) {
            final int port = ((InetSocketAddress)destination.localAddress()).getPort();
            final Process sender = CliTest.process(log, "send", "--connect", "127.0.0.1:" + port, "--memory-file",
                sourceFile.toString(), "--channels", "1", "--secret-file", secret.toString());
            try {
                assertTrue(firstPage.await(60, TimeUnit.SECONDS), "no page arrived: " + read(log));
                // The whole 1 MiB guest fits the sockets' buffers: the sender writes its SYNCs, FLUSHes and COMPLETE
                // and waits for APPLIED while the destination still holds its first page.
                Thread.sleep(marginMs);
                signal(sender, "STOP");
                final long stoppedNs = System.nanoTime();
                release.countDown();
                final boolean appliedWhileStopped = awaitStatus(destination, MigrationStatus.VERIFYING, 5_000);
                final long leftMs = APPLIED_DEADLINE_MS + 1_500 - TimeUnit.NANOSECONDS.toMillis(System.nanoTime() -
                    stoppedNs);
                if (appliedWhileStopped && leftMs > 0) {
                    Thread.sleep(leftMs);
                }
                signal(sender, "CONT");
                assertTrue(sender.waitFor(60, TimeUnit.SECONDS), "the sender did not end: " + read(log));
                if (!appliedWhileStopped) {
                    return false;
                }
                final String out = read(log);
                assertEquals(0, sender.exitValue(), out);
                assertTrue(out.contains("source: completed, verified"), out);
                final MigrationResult result = destination.result().get(30, TimeUnit.SECONDS);
                assertEquals(MigrationStatus.COMPLETED, result.status(), result.toString());
                assertTrue(result.verified(), result.toString());
                return true;
            } finally {
                signal(sender, "CONT");
                sender.destroyForcibly();
                sender.waitFor(30, TimeUnit.SECONDS);
            }
        }
    }

    private static boolean awaitStatus(final MigrationDestination destination, final MigrationStatus status,
        final long timeoutMs) throws InterruptedException {
        final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (System.nanoTime() - deadlineNs < 0) {
            if (status.jsonName().equals(destination.stats().status())) {
                return true;
            }
            Thread.sleep(5);
        }
        return false;
    }

    /** {@code kill -SIGNAL pid}: Java has no way to stop and continue a process. */
    private static void signal(final Process process, final String signal) throws IOException, InterruptedException {
        if (!process.isAlive()) {
            return;
        }
        final Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid()))
            .redirectErrorStream(true).start();
        assertTrue(kill.waitFor(10, TimeUnit.SECONDS), "kill -" + signal + " did not end");
    }

    private static String read(final Path log) throws IOException {
        return Files.exists(log) ? Files.readString(log) : "";
    }

    private static void awaitQuietly(final CountDownLatch latch) {
        try {
            latch.await(60, TimeUnit.SECONDS);
        } catch (final InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
    }

    /** What the operator reads must say what happened in words: no Java class name, no "-1 ms" never measured. */
    private static void assertPlain(final CliTest.Run run) {
        final String all = run.out() + run.err();
        assertFalse(JAVA_NAME.matcher(all).find(), "a Java name in: " + all);
        assertFalse(all.contains("-1 ms"), "a figure never measured in: " + all);
        assertFalse(all.contains("\tat "), "a stack trace in: " + all);
    }

    private CliTest.Run send(final Path memoryFile, final String... options) {
        final List<String> args = new java.util.ArrayList<>(List.of("send", "--memory-file", memoryFile.toString(),
            "--channels", "1"));
        args.addAll(List.of(options));
        return CliTest.inProcess(args.toArray(new String[0]));
    }

    /**
     * Issue 17, finding 10: the files a sender is given were refused with "NoSuchFileException", "Input length = 1"
     * or, for /dev/zero as the secret, an OutOfMemoryError after 10 s.
     */
    @Test
    @Timeout(120)
    void badFilesAreRefusedInWords() throws Exception {
        final Path secret = CliTest.secretFile(dir);
        final Path memory = Files.write(dir.resolve("source.ram"), new byte[64 * 4096]);

        final long startNs = System.nanoTime();
        final CliTest.Run zero = send(memory, "--connect", "127.0.0.1:1", "--secret-file", "/dev/zero");
        assertEquals(2, zero.exitCode(), zero.err());
        assertTrue(zero.err().contains("ferry: error: secret file /dev/zero is not a regular file"), zero.err());
        assertTrue(System.nanoTime() - startNs < TimeUnit.SECONDS.toNanos(10), "at once");
        assertPlain(zero);

        final CliTest.Run missing = send(memory, "--connect", "127.0.0.1:1", "--secret-file",
            dir.resolve("nothing").toString());
        assertEquals(2, missing.exitCode(), missing.err());
        assertTrue(missing.err().contains("cannot read secret file " + dir.resolve("nothing") +
            ": no such file or directory"), missing.err());
        assertPlain(missing);

        final CliTest.Run binary = send(memory, "--connect", "127.0.0.1:1", "--tls-keystore",
            dir.resolve("none.p12").toString(), "--tls-truststore", dir.resolve("none.p12").toString(),
            "--tls-password-file", secret.toString());
        assertEquals(2, binary.exitCode(), binary.err());
        assertTrue(binary.err().contains("--tls-password-file " + secret + " is not UTF-8 text"), binary.err());
        assertPlain(binary);

        final Path password = Files.writeString(dir.resolve("password"), "a password\n");
        final CliTest.Run keystore = send(memory, "--connect", "127.0.0.1:1", "--tls-keystore",
            dir.resolve("none.p12").toString(), "--tls-truststore", dir.resolve("none.p12").toString(),
            "--tls-password-file", password.toString());
        assertEquals(2, keystore.exitCode(), keystore.err());
        assertTrue(keystore.err().contains("cannot open --tls-keystore " + dir.resolve("none.p12") +
            ": no such file or directory"), keystore.err());
        assertPlain(keystore);
    }

    /** Issue 17, finding 10: a failed run's report printed "-1 ms" and never said what became of the guest. */
    @Test
    @Timeout(120)
    void aFailedSendSaysWhatBecameOfItsGuest() throws Exception {
        final Path secret = CliTest.secretFile(dir);
        final Path memory = Files.write(dir.resolve("source.ram"), new byte[64 * 4096]);
        final CliTest.Run nobody = send(memory, "--connect", "127.0.0.1:" + CliTest.freePort(), "--secret-file",
            secret.toString());
        assertEquals(1, nobody.exitCode(), nobody.err());
        assertTrue(nobody.err().contains("source: failed (cannot connect main channel"), nobody.err());
        assertTrue(nobody.err().contains("total ") && nobody.err().contains("transfer -, verify -), downtime -"),
            nobody.err());
        assertTrue(nobody.err().trim().endsWith("ferry: the guest was never paused: the migration failed before the " +
            "switchover, and it runs on here."), nobody.err());
        assertPlain(nobody);

        // A plain sender at a TLS receiver read "java.io.EOFException: main channel closed by peer".
        final TestCertificates certificates = new TestCertificates(dir);
        try (MigrationDestination tls = MigrationDestination.start(new MigrationDestination.Context()
            .secret(Secret.fromFile(secret)).tls(certificates.context("destination", "ca")).warnings(line -> { }))) {
            final CliTest.Run plain = send(memory, "--connect", "127.0.0.1:" +
                ((InetSocketAddress)tls.localAddress()).getPort(), "--secret-file", secret.toString());
            assertEquals(1, plain.exitCode(), plain.err());
            assertTrue(plain.err().contains("the destination closed the connection during the handshake. Does it " +
                "require TLS"), plain.err());
            assertPlain(plain);
        }

        // A destination that fails at the switchover: the sender's guest was paused, and is running again.
        try (MigrationDestination failing = MigrationDestination.start(new MigrationDestination.Context()
            .secret(Secret.fromFile(secret)).deviceStateConsumer(state -> {
                throw new IllegalStateException("the device state was refused");
            }))) {
            final CliTest.Run resumed = send(memory, "--connect", "127.0.0.1:" +
                ((InetSocketAddress)failing.localAddress()).getPort(), "--secret-file", secret.toString());
            assertEquals(1, resumed.exitCode(), resumed.err());
            assertTrue(resumed.err().trim().endsWith("ferry: the guest was paused for the switchover and has been " +
                "resumed: the migration failed before the destination took over, and it runs on here."), resumed.err());
            assertPlain(resumed);
        }
    }
}
