package dev.ferry.engine;

import dev.ferry.engine.text.ErrorText;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import java.util.Set;
import java.util.function.Consumer;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The shared secret both sides prove knowledge of. A secret file's bytes are the key exactly as they are: no
 * trimming, no decoding. An insecure secret is a well-known key: the handshake still runs, proves nothing, and
 * both sides must have chosen it.
 */
public final class Secret {
    /** The shortest key accepted. */
    public static final int MIN_LENGTH = 16;
    /** The longest secret file accepted: a key, not a file given by mistake. */
    public static final int MAX_FILE_BYTES = 64 * 1024;
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

    /**
     * The bytes of {@code file}, exactly, as the secret; a file other users can read is named on standard error.
     *
     * @see #fromFile(Path, Consumer)
     */
    public static Secret fromFile(final Path file) {
        return fromFile(file, warning -> System.err.println("ferry: warning: " + warning));
    }

    /**
     * The bytes of {@code file}, exactly, as the secret. The file must be a regular file (a link to one is
     * followed: mounted secrets are often links) of at most {@link #MAX_FILE_BYTES}, and not writable by every user
     * (anyone could replace the key); one that every user can read is used, and said to {@code warnings}. A device
     * such as {@code /dev/zero} used to be read until the heap ran out; now nothing but a regular file is opened,
     * and no more than the cap is read whatever the file turns into meanwhile.
     */
    public static Secret fromFile(final Path file, final Consumer<String> warnings) {
        final BasicFileAttributes attributes;
        try {
            attributes = Files.readAttributes(file, BasicFileAttributes.class);
        } catch (final IOException ex) {
            throw new FerryException(ErrorCode.CONFIGURATION, "cannot read secret file " + file + ": " +
                ErrorText.of(ex));
        }
        if (!attributes.isRegularFile()) {
            throw new FerryException(ErrorCode.CONFIGURATION, "secret file " + file + " is not a regular file (" +
                (attributes.isDirectory() ? "a directory" : "a device, pipe or socket") + "): give a file holding " +
                "the key");
        }
        if (attributes.size() > MAX_FILE_BYTES) {
            throw new FerryException(ErrorCode.CONFIGURATION, "secret file " + file + " holds " + attributes.size() +
                " bytes, more than the " + MAX_FILE_BYTES + " a key may have: is it the right file?");
        }
        checkPermissions(file, warnings);
        final byte[] bytes = read(file);
        if (bytes.length < MIN_LENGTH) {
            Arrays.fill(bytes, (byte)0);
            throw new FerryException(ErrorCode.CONFIGURATION, "secret file " + file + " holds " + bytes.length +
                " bytes; at least " + MIN_LENGTH + " are needed");
        }
        final Secret secret = new Secret(bytes.clone(), false);
        Arrays.fill(bytes, (byte)0);
        return secret;
    }

    /** At most {@link #MAX_FILE_BYTES} + 1 bytes: one more is enough to know the file is too long. */
    private static byte[] read(final Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            final byte[] bytes = in.readNBytes(MAX_FILE_BYTES + 1);
            if (bytes.length > MAX_FILE_BYTES) {
                Arrays.fill(bytes, (byte)0);
                throw new FerryException(ErrorCode.CONFIGURATION, "secret file " + file + " holds more than the " +
                    MAX_FILE_BYTES + " bytes a key may have: is it the right file?");
            }
            return bytes;
        } catch (final IOException ex) {
            throw new FerryException(ErrorCode.CONFIGURATION, "cannot read secret file " + file + ": " +
                ErrorText.of(ex));
        }
    }

    /** Refuses a file every user may write; warns about one every user may read. Not on a file system without modes. */
    private static void checkPermissions(final Path file, final Consumer<String> warnings) {
        final Set<PosixFilePermission> permissions;
        try {
            permissions = Files.getPosixFilePermissions(file);
        } catch (final UnsupportedOperationException | IOException ex) {
            return;
        }
        final String mode = PosixFilePermissions.toString(permissions);
        if (permissions.contains(PosixFilePermission.OTHERS_WRITE)) {
            throw new FerryException(ErrorCode.CONFIGURATION, "secret file " + file + " is writable by every user (" +
                mode + "), so anyone on this host could replace the key: refused; chmod 600 " + file);
        }
        if (permissions.contains(PosixFilePermission.OTHERS_READ)) {
            warnings.accept("secret file " + file + " is readable by every user (" + mode + "): anyone on this " +
                "host can take part in a migration with it; used anyway, but chmod 600 " + file);
        }
    }

    /** No secret: the peer must be insecure too. */
    public static Secret insecure() {
        return new Secret(INSECURE_KEY, true);
    }

    public boolean isInsecure() {
        return insecure;
    }

    /**
     * A new HMAC-SHA256 keyed with this secret, which the handshake's proofs are made with. The key itself never
     * leaves this object.
     */
    public Mac newHmac() {
        try {
            final Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac;
        } catch (final GeneralSecurityException ex) {
            throw new FerryException(ErrorCode.INTERNAL, "HMAC-SHA256 unavailable: " + ex.getMessage(), ex);
        }
    }
}
