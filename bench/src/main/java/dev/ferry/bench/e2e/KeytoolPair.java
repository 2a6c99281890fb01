package dev.ferry.bench.e2e;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The mutual-TLS key material the benchmarks use, made with the JDK's {@code keytool}: in {@code dir}, a
 * self-signed EC P-256 key and certificate per side ({@code source.p12}, {@code destination.p12}), each side's
 * certificate in the other's trust store ({@code source-trust.p12}, {@code destination-trust.p12}), and the
 * password in {@code password}, as the CLI's {@code --tls-*} flags read them.
 */
public final class KeytoolPair {
    /** Every file {@link #make} writes into its directory. */
    public static final List<String> FILES = List.of("password", "source.p12", "destination.p12", "source.cer",
        "destination.cer", "source-trust.p12", "destination-trust.p12", "keytool.log");

    private KeytoolPair() {
    }

    /** Makes the pair in {@code dir} with {@code password}. */
    public static void make(final Path dir, final String password) throws Exception {
        Files.writeString(dir.resolve("password"), password + "\n");
        for (final String side : new String[] {"source", "destination"}) {
            keytool(dir, "-genkeypair", "-alias", side, "-keyalg", "EC", "-groupname", "secp256r1", "-dname",
                "CN=" + side, "-validity", "2", "-keystore", dir.resolve(side + ".p12").toString(), "-storetype",
                "PKCS12", "-storepass", password, "-keypass", password);
            keytool(dir, "-exportcert", "-alias", side, "-keystore", dir.resolve(side + ".p12").toString(),
                "-storepass", password, "-file", dir.resolve(side + ".cer").toString());
        }
        for (final String[] pair : new String[][] {{"source", "destination"}, {"destination", "source"}}) {
            keytool(dir, "-importcert", "-noprompt", "-alias", pair[1], "-file",
                dir.resolve(pair[1] + ".cer").toString(), "-keystore", dir.resolve(pair[0] + "-trust.p12").toString(),
                "-storetype", "PKCS12", "-storepass", password);
        }
    }

    private static void keytool(final Path dir, final String... args) throws Exception {
        final List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin",
            "keytool").toString()));
        command.addAll(List.of(args));
        final Path log = dir.resolve("keytool.log");
        final Process process = Runs.start(log, command);
        if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
            throw new IllegalStateException("keytool failed: " + Files.readString(log));
        }
    }
}
