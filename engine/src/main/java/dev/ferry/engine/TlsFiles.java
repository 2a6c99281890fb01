package dev.ferry.engine;

import dev.ferry.engine.channel.TlsEngines;
import dev.ferry.engine.channel.TlsKeys;
import dev.ferry.engine.channel.ValidityCheckingTrustManager;
import dev.ferry.engine.text.ErrorText;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.Arrays;
import java.util.Collections;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

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
    /** The longest password file read. */
    static final int MAX_PASSWORD_FILE_BYTES = 64 * 1024;

    private TlsFiles() {
    }

    /**
     * The password: the first line of {@code file}, without its line end, as UTF-8 text. Only a regular file of at
     * most 64 KiB is read (a device such as /dev/zero would be read until the heap ran out).
     */
    public static char[] password(final Path file) {
        final byte[] bytes;
        try {
            if (!Files.isRegularFile(file)) {
                throw new FerryException(ErrorCode.CONFIGURATION, "--tls-password-file " + file + " is " +
                    (Files.exists(file) ? "not a regular file" : "missing") + ": give a file whose first line is " +
                    "the password");
            }
            try (InputStream in = Files.newInputStream(file)) {
                bytes = in.readNBytes(MAX_PASSWORD_FILE_BYTES + 1);
            }
        } catch (final IOException ex) {
            throw new FerryException(ErrorCode.CONFIGURATION, "cannot read --tls-password-file " + file + ": " +
                ErrorText.of(ex));
        }
        if (bytes.length > MAX_PASSWORD_FILE_BYTES) {
            throw new FerryException(ErrorCode.CONFIGURATION, "--tls-password-file " + file + " holds more than " +
                MAX_PASSWORD_FILE_BYTES + " bytes: is it the right file?");
        }
        final String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes)).toString();
        } catch (final CharacterCodingException ex) {
            throw new FerryException(ErrorCode.CONFIGURATION, "--tls-password-file " + file + " is not UTF-8 text: " +
                "its first line must be the password");
        } finally {
            Arrays.fill(bytes, (byte)0);
        }
        final int end = text.indexOf('\n');
        final String line = -1 == end ? text : text.substring(0, end);
        return (line.endsWith("\r") ? line.substring(0, line.length() - 1) : line).toCharArray();
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
            final TrustManager[] trusting = checkingValidity(trustManagers.getTrustManagers());
            context.init(keyManagers.getKeyManagers(), trusting, null);
            if (onlyRsaOrEcKeys(keys, password)) {
                TlsKeys.register(context, keyManagers.getKeyManagers()[0], trusting[0]);
                TlsEngines.prepareInBackground(context);
            }
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

    /**
     * Whether every key in {@code keys} is RSA or EC, the kinds BoringSSL's engine signs with through a Java key
     * manager. An Ed25519 key works with the JDK's engine only (through BoringSSL every handshake failed with an
     * internal error), so a context with one keeps the JDK's engine.
     */
    private static boolean onlyRsaOrEcKeys(final KeyStore keys, final char[] password) {
        try {
            for (final String alias : Collections.list(keys.aliases())) {
                if (keys.entryInstanceOf(alias, KeyStore.PrivateKeyEntry.class)) {
                    final String algorithm = keys.getKey(alias, password).getAlgorithm();
                    if (!"RSA".equals(algorithm) && !"EC".equals(algorithm)) {
                        return false;
                    }
                }
            }
            return true;
        } catch (final GeneralSecurityException | RuntimeException ex) {
            return false;
        }
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
                ErrorText.of(ex);
            throw new FerryException(ErrorCode.CONFIGURATION, "cannot open " + option + " " + file + ": " + why);
        } catch (final GeneralSecurityException ex) {
            throw new FerryException(ErrorCode.CONFIGURATION, "cannot open " + option + " " + file + " as PKCS12: " +
                ex.getMessage());
        }
    }
}
