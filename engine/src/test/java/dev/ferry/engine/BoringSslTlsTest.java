package dev.ferry.engine;

import dev.ferry.engine.channel.TlsEngines;
import dev.ferry.memory.GuestMemory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Which engine a connection gets: BoringSSL's by default (netty-tcnative on the class path, as the CLI's jar has it),
 * the JDK's with {@code -Dferry.tls.engine=jdk}; through BoringSSL's, good certificates migrate byte for byte, with
 * the secret and without, and an expired source certificate is refused before any page moves, its reason named.
 * ({@link TlsTest} runs every case through the default engine, {@link JdkTlsTest} through the JDK's.)
 */
@Timeout(60)
final class BoringSslTlsTest {
    @TempDir
    static Path dir;

    private static TestCertificates certificates;

    @BeforeAll
    static void makeCertificates() throws Exception {
        certificates = new TestCertificates(dir);
    }

    private static MigrationResult[] migrate(final SSLContext destinationTls, final SSLContext sourceTls,
        final Secret secret, final GuestMemory memory) throws Exception {
        try (MigrationDestination destination = MigrationDestination.start(new MigrationDestination.Context()
            .secret(secret).tls(destinationTls))) {
            final MigrationResult sent = MigrationSource.start(new MigrationSource.Context()
                .destination(destination.localAddress()).memory(memory).secret(secret).tls(sourceTls).channels(3)
                .connectTimeoutMs(5_000)).result().get(30, TimeUnit.SECONDS);
            if (sent.status() != MigrationStatus.COMPLETED) {
                return new MigrationResult[] {sent, null};
            }
            return new MigrationResult[] {sent, destination.result().get(10, TimeUnit.SECONDS)};
        }
    }

    @Test
    void goodCertificatesMigrateThroughBoringSsl() throws Exception {
        final SSLContext destinationTls = certificates.context("destination", "ca");
        final SSLContext sourceTls = certificates.context("source", "ca");
        assertEquals("BoringSSL", TlsEngines.engineName(sourceTls), "netty-tcnative is on the test class path");
        try (GuestMemory memory = Guests.filled(Guests.anonymous(Guests.SPECS), 31)) {
            final MigrationResult[] results = migrate(destinationTls, sourceTls, Guests.SECRET, memory);
            assertEquals(MigrationStatus.COMPLETED, results[0].status(), results[0].error());
            assertTrue(results[0].verified() && results[1].verified());
            Guests.assertSameMemory(memory, results[1].memory());
            results[1].memory().close();
            final MigrationResult[] selfSigned = migrate(certificates.context("self-destination", "destination"),
                certificates.context("self-source", "source"), Secret.insecure(), memory);
            assertEquals(MigrationStatus.COMPLETED, selfSigned[0].status(), selfSigned[0].error());
            Guests.assertSameMemory(memory, selfSigned[1].memory());
            selfSigned[1].memory().close();
        }
    }

    @Test
    void anExpiredCertificateIsRefusedBeforeAnyPageMoves() throws Exception {
        try (GuestMemory memory = Guests.filled(Guests.anonymous(Guests.SPECS), 32)) {
            final MigrationResult[] results = migrate(certificates.context("destination", "ca"),
                certificates.context("expired", "ca"), Guests.SECRET, memory);
            assertEquals(ErrorCode.TLS_FAILED, results[0].errorCode(), results[0].error());
            assertTrue(results[0].error().contains("refused this side's certificate: it has expired"),
                results[0].error());
            assertEquals(0, results[0].stats().normalPages(), "no page moved");
        }
    }

    /** Ed25519 keys sign only through the JDK's engine: such a context keeps it, and migrates. */
    @Test
    void ed25519KeysKeepTheJdkEngineAndMigrate() throws Exception {
        final String password = "ferry-test";
        final Path passwordFile = Files.writeString(dir.resolve("ed-password"), password + "\n");
        for (final String side : new String[] {"ed-source", "ed-destination"}) {
            keytool("-genkeypair", "-alias", side, "-keyalg", "Ed25519", "-dname", "CN=" + side, "-validity", "2",
                "-keystore", dir.resolve(side + ".p12").toString(), "-storetype", "PKCS12", "-storepass", password,
                "-keypass", password);
            keytool("-exportcert", "-alias", side, "-keystore", dir.resolve(side + ".p12").toString(), "-storepass",
                password, "-file", dir.resolve(side + ".cer").toString());
        }
        for (final String[] pair : new String[][] {{"ed-source", "ed-destination"}, {"ed-destination", "ed-source"}}) {
            keytool("-importcert", "-noprompt", "-alias", pair[1], "-file", dir.resolve(pair[1] + ".cer").toString(),
                "-keystore", dir.resolve(pair[0] + "-trust.p12").toString(), "-storetype", "PKCS12", "-storepass",
                password);
        }
        final char[] secret = TlsFiles.password(passwordFile);
        final SSLContext sourceTls = TlsFiles.context(dir.resolve("ed-source.p12"), dir.resolve("ed-source-trust.p12"),
            secret);
        final SSLContext destinationTls = TlsFiles.context(dir.resolve("ed-destination.p12"),
            dir.resolve("ed-destination-trust.p12"), secret);
        assertEquals("JDK", TlsEngines.engineName(sourceTls));
        try (GuestMemory memory = Guests.filled(Guests.anonymous(Guests.SPECS), 33)) {
            final MigrationResult[] results = migrate(destinationTls, sourceTls, Guests.SECRET, memory);
            assertEquals(MigrationStatus.COMPLETED, results[0].status(), results[0].error());
            Guests.assertSameMemory(memory, results[1].memory());
            results[1].memory().close();
        }
    }

    private static void keytool(final String... args) throws Exception {
        final List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin",
            "keytool").toString()));
        command.addAll(List.of(args));
        final Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        final String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(30, TimeUnit.SECONDS) && process.exitValue() == 0, "keytool: " + output);
    }

    @Test
    void thePropertyChoosesTheJdkEngine() {
        assertEquals("BoringSSL", TlsEngines.engineName(certificates.context("source", "ca")), "the default");
        System.setProperty("ferry.tls.engine", "jdk");
        try {
            assertEquals("JDK", TlsEngines.engineName(certificates.context("source", "ca")));
        } finally {
            System.clearProperty("ferry.tls.engine");
        }
    }
}
