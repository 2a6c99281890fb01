package dev.ferry.engine;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

import java.io.OutputStream;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLContext;

/**
 * TLS material made at test time (EC P-256, in process with Bouncy Castle, in PKCS12 files as an operator would give
 * them): a CA and the source, destination and expired keys it signed; a stranger signed by another CA; and a
 * self-signed pair, each certificate imported into the other side's trust store; and self-signed certificates out of
 * their validity (expired 9 days ago, valid only from 10 days on), trusted directly.
 * <ul>
 *   <li>{@code ca-trust}: trusts the CA (both sides, CA mode);</li>
 *   <li>{@code source-trust}, {@code destination-trust}: trust the other side's self-signed certificate;</li>
 *   <li>{@code source-direct-trust}: trusts {@code self-destination} and {@code self-expired-destination};
 *   {@code destination-direct-trust}: trusts {@code self-source}, {@code self-expired-source} and
 *   {@code self-future-source}.</li>
 * </ul>
 */
public final class TestCertificates {
    static final String PASSWORD = "ferry-test-password";
    private static final AtomicLong SERIAL = new AtomicLong(System.currentTimeMillis());

    private final Path dir;

    public TestCertificates(final Path dir) throws Exception {
        this.dir = dir;
        Files.writeString(dir.resolve("password"), PASSWORD + "\n");
        final KeyPair ca = keys();
        final X509Certificate caCert = certificate("ferry test CA", ca, "ferry test CA", ca, true, Duration.ZERO, 30);
        final KeyPair otherCa = keys();
        final X509Certificate otherCaCert =
            certificate("another CA", otherCa, "another CA", otherCa, true, Duration.ZERO, 30);
        for (final String name : new String[] {"source", "destination"}) {
            final KeyPair leaf = keys();
            keystore(name, leaf, certificate(name, leaf, "ferry test CA", ca, false, Duration.ZERO, 30), caCert);
            final KeyPair self = keys();
            keystore("self-" + name, self, certificate("self " + name, self, "self " + name, self, false,
                Duration.ZERO, 30));
        }
        final KeyPair expired = keys();
        keystore("expired", expired, certificate("expired", expired, "ferry test CA", ca, false,
            Duration.ofDays(10), 1), caCert);
        final KeyPair stranger = keys();
        keystore("stranger", stranger, certificate("stranger", stranger, "another CA", otherCa, false, Duration.ZERO,
            30), otherCaCert);
        for (final String name : new String[] {"self-expired-source", "self-expired-destination"}) {
            final KeyPair self = keys();
            keystore(name, self, certificate(name, self, name, self, false, Duration.ofDays(10), 1));
        }
        final KeyPair future = keys();
        keystore("self-future-source", future, certificate("self-future-source", future, "self-future-source", future,
            false, Duration.ofDays(-10), 30));
        truststore("ca", caCert);
        truststore("source", certificateOf("self-destination"));
        truststore("destination", certificateOf("self-source"));
        truststore("source-direct", certificateOf("self-destination"), certificateOf("self-expired-destination"));
        truststore("destination-direct", certificateOf("self-source"), certificateOf("self-expired-source"),
            certificateOf("self-future-source"));
    }

    public Path keystore(final String name) {
        return dir.resolve(name + ".p12");
    }

    public Path truststore(final String side) {
        return dir.resolve(side + "-trust.p12");
    }

    public Path passwordFile() {
        return dir.resolve("password");
    }

    /** A context with {@code key}'s key, trusting what trust store {@code trust} holds. */
    public SSLContext context(final String key, final String trust) {
        return TlsFiles.context(keystore(key), truststore(trust), PASSWORD.toCharArray());
    }

    private static KeyPair keys() throws Exception {
        final KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(256);
        return generator.generateKeyPair();
    }

    private static X509Certificate certificate(final String subject, final KeyPair subjectKeys, final String issuer,
        final KeyPair issuerKeys, final boolean ca, final Duration age, final int validDays) throws Exception {
        final Instant notBefore = Instant.now().minus(age).minus(Duration.ofMinutes(5));
        final JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(new X500Name("CN=" + issuer),
            BigInteger.valueOf(SERIAL.incrementAndGet()), Date.from(notBefore),
            Date.from(notBefore.plus(Duration.ofDays(validDays))), new X500Name("CN=" + subject),
            subjectKeys.getPublic());
        if (ca) {
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
        }
        return new JcaX509CertificateConverter().getCertificate(builder.build(
            new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKeys.getPrivate())));
    }

    private void keystore(final String name, final KeyPair keys, final Certificate... chain) throws Exception {
        final KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        store.setKeyEntry(name, keys.getPrivate(), PASSWORD.toCharArray(), chain);
        save(store, keystore(name));
    }

    private void truststore(final String side, final Certificate... trusted) throws Exception {
        final KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        for (int i = 0; i < trusted.length; i++) {
            store.setCertificateEntry(0 == i ? "trusted" : "trusted-" + i, trusted[i]);
        }
        save(store, truststore(side));
    }

    private Certificate certificateOf(final String name) throws Exception {
        final KeyStore store = KeyStore.getInstance("PKCS12");
        try (var in = Files.newInputStream(keystore(name))) {
            store.load(in, PASSWORD.toCharArray());
        }
        return store.getCertificate(name);
    }

    private static void save(final KeyStore store, final Path file) throws Exception {
        try (OutputStream out = Files.newOutputStream(file)) {
            store.store(out, PASSWORD.toCharArray());
        }
    }
}
