package dev.ferry.engine.api;

import dev.ferry.engine.error.ErrorCode;
import dev.ferry.engine.error.FerryException;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.List;

/**
 * An {@link SSLContext} for Ferry's mutual TLS from PKCS12 files, as the CLI's {@code --tls-keystore},
 * {@code --tls-truststore} and {@code --tls-password-file} give them: the key store holds this side's key and
 * certificate, the trust store the certificates (or CAs) of the peers it accepts; one password opens the key store,
 * its key and the trust store.
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
        try {
            final KeyManagerFactory keyManagers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            keyManagers.init(keys, password);
            final TrustManagerFactory trustManagers =
                TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trustManagers.init(trust);
            final SSLContext context = SSLContext.getInstance("TLSv1.3");
            context.init(keyManagers.getKeyManagers(), trustManagers.getTrustManagers(), null);
            return context;
        } catch (final GeneralSecurityException ex) {
            throw new FerryException(ErrorCode.CONFIGURATION, "cannot use the key in --tls-keystore " + keystore + ": " +
                ex.getMessage());
        }
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
