package dev.ferry.engine.channel;

import dev.ferry.engine.error.ErrorCode;
import dev.ferry.engine.error.FerryException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * The shared secret both sides prove knowledge of. A secret file's bytes are the key exactly as they are: no
 * trimming, no decoding. An insecure secret is a well-known key: the handshake still runs, proves nothing, and
 * both sides must have chosen it.
 */
public final class Secret {
    /** The shortest key accepted. */
    public static final int MIN_LENGTH = 16;
    private static final byte[] INSECURE_KEY = "ferry insecure: no shared secret".getBytes(StandardCharsets.US_ASCII);

    private final byte[] key;
    private final boolean insecure;

    private Secret(final byte[] key, final boolean insecure) {
        this.key = key;
        this.insecure = insecure;
    }

    /** A secret of {@code key}'s bytes (copied), at least {@link #MIN_LENGTH} of them. */
    public static Secret of(final byte[] key) {
        if (key.length < MIN_LENGTH) {
            throw new FerryException(ErrorCode.CONFIGURATION, "secret holds " + key.length + " bytes; at least " +
                MIN_LENGTH + " are needed");
        }
        return new Secret(key.clone(), false);
    }

    /** The bytes of {@code file}, exactly, as the secret. */
    public static Secret fromFile(final Path file) {
        final byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (final IOException ex) {
            throw new FerryException(ErrorCode.CONFIGURATION, "cannot read secret file " + file + ": " + ex);
        }
        if (bytes.length < MIN_LENGTH) {
            throw new FerryException(ErrorCode.CONFIGURATION, "secret file " + file + " holds " + bytes.length +
                " bytes; at least " + MIN_LENGTH + " are needed");
        }
        final Secret secret = new Secret(bytes.clone(), false);
        Arrays.fill(bytes, (byte)0);
        return secret;
    }

    /** No secret: the peer must be insecure too. */
    public static Secret insecure() {
        return new Secret(INSECURE_KEY, true);
    }

    public boolean isInsecure() {
        return insecure;
    }

    byte[] key() {
        return key;
    }
}
