package dev.ferry.engine.api;

import dev.ferry.engine.error.ErrorCode;
import dev.ferry.engine.error.FerryException;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.Collections;
import java.util.List;

/**
 * An {@link SSLContext} for Ferry's mutual TLS from PKCS12 files, as the CLI's {@code --tls-keystore},
 * {@code --tls-truststore} and {@code --tls-password-file} give them: the key store holds this side's key and
 * certificate, the trust store the certificates (or CAs) of the peers it accepts; one password opens the key store,
 * its key and the trust store.
 * <p>
 * A peer's certificates are checked against the clock even when trusted directly (a self-signed certificate in the
 * trust store), which the JDK alone does not do; a key store must hold a private key, checked here at start-up
 * rather than found out by every peer's refusal.
 */
public final class TlsFiles {
    private TlsFiles() {
    }

    /** The password: the first line of {@code file}, without its line end. */
    public static char[] password(final Path file) {
        try {
            final List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            return lines.isEmpty() ? new char[0] : lines.get(0).toCharArray();
        } catch (final IOException ex) {
            throw new FerryException(ErrorCode.CONFIGURATION, "cannot read --tls-password-file " + file + ": " + ex);
        }
    }

    /** The context of a side with its key in {@code keystore}, trusting what {@code truststore} holds. */
    public static SSLContext context(final Path keystore, final Path truststore, final char[] password) {
        final KeyStore keys = load(keystore, password, "--tls-keystore");
        final KeyStore trust = load(truststore, password, "--tls-truststore");
        requirePrivateKey(keys, keystore);
        try {
            final KeyManagerFactory keyManagers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            keyManagers.init(keys, password);
            final TrustManagerFactory trustManagers =
                TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trustManagers.init(trust);
            final SSLContext context = SSLContext.getInstance("TLSv1.3");
            context.init(keyManagers.getKeyManagers(), checkingValidity(trustManagers.getTrustManagers()), null);
            return context;
        } catch (final GeneralSecurityException ex) {
            throw new FerryException(ErrorCode.CONFIGURATION, "cannot use the key in --tls-keystore " + keystore + ": " +
                ex.getMessage());
        }
    }

    /**
     * A key store of certificates only (a trust store given as --tls-keystore, or a key stored apart) would let this
     * side start and then fail every handshake with a message about trust: refused here, naming the file.
     */
    private static void requirePrivateKey(final KeyStore keys, final Path keystore) {
        try {
            for (final String alias : Collections.list(keys.aliases())) {
                if (keys.entryInstanceOf(alias, KeyStore.PrivateKeyEntry.class)) {
                    return;
                }
            }
        } catch (final GeneralSecurityException ex) {
            throw new FerryException(ErrorCode.CONFIGURATION, "cannot read the entries of --tls-keystore " + keystore +
                ": " + ex.getMessage());
        }
        throw new FerryException(ErrorCode.CONFIGURATION, "--tls-keystore " + keystore + " holds no private key " +
            "entry, only certificates (is it a trust store?): it needs this side's key and certificate");
    }

    private static TrustManager[] checkingValidity(final TrustManager[] managers) {
        final TrustManager[] checking = managers.clone();
        for (int i = 0; i < checking.length; i++) {
            if (checking[i] instanceof X509ExtendedTrustManager x509) {
                checking[i] = new ValidityCheckingTrustManager(x509);
            }
        }
        return checking;
    }

    private static KeyStore load(final Path file, final char[] password, final String option) {
        try (InputStream in = Files.newInputStream(file)) {
            final KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(in, password);
            if (store.size() == 0) {
                throw new FerryException(ErrorCode.CONFIGURATION, option + " " + file + " holds no entry");
            }
            return store;
        } catch (final IOException ex) {
            final String why = ex.getCause() instanceof java.security.UnrecoverableKeyException ||
                String.valueOf(ex.getMessage()).contains("password") ? "wrong password (--tls-password-file)" :
                ex.toString();
            throw new FerryException(ErrorCode.CONFIGURATION, "cannot open " + option + " " + file + ": " + why);
        } catch (final GeneralSecurityException ex) {
            throw new FerryException(ErrorCode.CONFIGURATION, "cannot open " + option + " " + file + " as PKCS12: " +
                ex.getMessage());
        }
    }
}
