package dev.ferry.engine.cli;

import dev.ferry.engine.TestCertificates;
import dev.ferry.memory.BlockSpec;
import dev.ferry.memory.GuestMemory;
import dev.ferry.memory.internal.Fill;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static dev.ferry.engine.cli.CliTest.awaitLine;
import static dev.ferry.engine.cli.CliTest.freePort;
import static dev.ferry.engine.cli.CliTest.inProcess;
import static dev.ferry.engine.cli.CliTest.process;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Mutual TLS from the command line, two processes, no shared secret: good certificates migrate; an expired source
 * certificate makes {@code send} exit 1 with one line while {@code receive} logs why and keeps listening; TLS flags
 * that are incomplete or open nothing are usage errors naming the flag.
 */
final class CliTlsTest {
    @TempDir
    Path dir;

    private List<String> tls(final TestCertificates certificates, final String key) {
        return List.of("--tls-keystore", certificates.keystore(key).toString(), "--tls-truststore",
            certificates.truststore("ca").toString(), "--tls-password-file", certificates.passwordFile().toString());
    }

    private static String[] args(final List<String> head, final List<String> tail) {
        final List<String> all = new ArrayList<>(head);
        all.addAll(tail);
        return all.toArray(new String[0]);
    }

    @Test
    @Timeout(120)
    void sendAndReceiveOverMutualTlsWithoutASecret() throws Exception {
        final TestCertificates certificates = new TestCertificates(dir);
        final Path source = dir.resolve("source.ram");
        final Path destination = dir.resolve("destination.ram");
        try (GuestMemory memory = GuestMemory.createFile(source, List.of(new BlockSpec(0, "ram", 32L << 20)), 4096)) {
            Fill.mixed(memory.block(0), 0.3, 4);
        }
        final int port = freePort();
        final Path receiveLog = dir.resolve("receive.log");
        final Process receiver = process(receiveLog, args(List.of("receive", "--listen", "127.0.0.1:" + port,
            "--memory-file", destination.toString()), tls(certificates, "destination")));
        try {
            awaitLine(receiveLog, "listening on", receiver);
            final Path expiredLog = dir.resolve("expired.log");
            final Process expired = process(expiredLog, args(List.of("send", "--connect", "127.0.0.1:" + port,
                "--memory-file", source.toString()), tls(certificates, "expired")));
            assertTrue(expired.waitFor(60, TimeUnit.SECONDS));
            final String refusal = Files.readString(expiredLog);
            assertEquals(1, expired.exitValue(), refusal);
            // BoringSSL's engine hears the destination's alert and says why; the JDK's only sees the connection close
            assertTrue(refusal.contains("TLS with /127.0.0.1:" + port + " failed: the destination refused this side's " +
                "certificate: it has expired") || refusal.contains("TLS with /127.0.0.1:" + port + " failed: the " +
                "destination closed the connection during the TLS handshake"), refusal);
            assertFalse(refusal.contains("\tat "), "no stack trace: " + refusal);
            awaitLine(receiveLog, "certificate has expired", receiver);
            assertTrue(receiver.isAlive(), "the receiver keeps listening");

            final Path sendLog = dir.resolve("send.log");
            final Process sender = process(sendLog, args(List.of("send", "--connect", "127.0.0.1:" + port,
                "--memory-file", source.toString(), "--dirty-rate", "10000", "--hot-set", "4m"),
                tls(certificates, "source")));
            CliTest.awaitBothExitZero(sender, sendLog, 90, receiver, receiveLog);
        } finally {
            receiver.destroyForcibly();
        }
        assertArrayEquals(Files.readAllBytes(source), Files.readAllBytes(destination));
    }

    @Test
    @Timeout(30)
    void incompleteOrWrongTlsFlagsAreUsageErrors() throws Exception {
        final TestCertificates certificates = new TestCertificates(dir);
        final Path file = Files.write(dir.resolve("m.ram"), new byte[8192]);
        final CliTest.Run missing = inProcess("send", "--connect", "127.0.0.1:1", "--memory-file", file.toString(),
            "--tls-keystore", certificates.keystore("source").toString(), "--tls-password-file",
            certificates.passwordFile().toString());
        assertEquals(2, missing.exitCode(), missing.err());
        assertTrue(missing.err().contains("missing: --tls-truststore"), missing.err());

        final Path wrong = Files.writeString(dir.resolve("wrong"), "not the password\n");
        final CliTest.Run badPassword = inProcess("receive", "--listen", "127.0.0.1:0", "--memory-file",
            file.toString(), "--tls-keystore", certificates.keystore("destination").toString(), "--tls-truststore",
            certificates.truststore("ca").toString(), "--tls-password-file", wrong.toString());
        assertEquals(2, badPassword.exitCode(), badPassword.err());
        assertTrue(badPassword.err().contains("--tls-keystore"), badPassword.err());
        assertFalse(badPassword.err().contains("\tat "), "no stack trace: " + badPassword.err());
    }

    /**
     * Issue 17, finding 10: a trust store given as --tls-keystore (certificates, no key) was accepted, and every
     * sender was then refused with a message that blamed trust. It is a usage error at start-up now.
     */
    @Test
    @Timeout(30)
    void aKeyStoreWithoutAPrivateKeyIsAUsageError() throws Exception {
        final TestCertificates certificates = new TestCertificates(dir);
        final Path file = Files.write(dir.resolve("m.ram"), new byte[8192]);
        final CliTest.Run send = inProcess("send", "--connect", "127.0.0.1:1", "--memory-file", file.toString(),
            "--tls-keystore", certificates.truststore("ca").toString(), "--tls-truststore",
            certificates.truststore("ca").toString(), "--tls-password-file", certificates.passwordFile().toString());
        assertEquals(2, send.exitCode(), send.err());
        assertTrue(send.err().contains("holds no private key entry"), send.err());
        final CliTest.Run receive = inProcess("receive", "--listen", "127.0.0.1:0", "--memory-file",
            dir.resolve("received.ram").toString(), "--tls-keystore", certificates.truststore("ca").toString(),
            "--tls-truststore", certificates.truststore("ca").toString(), "--tls-password-file",
            certificates.passwordFile().toString());
        assertEquals(2, receive.exitCode(), receive.err());
        assertTrue(receive.err().contains("ferry: error: --tls-keystore " + certificates.truststore("ca") +
            " holds no private key entry"), receive.err());
    }
}
