package dev.ferry.memory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Map;

/**
 * Which file a path names on this host: its device and inode (as {@code stat(2)} gives them, never through a link).
 * Two paths with one identity are one file, however they are spelled; a source and a destination that would
 * migrate a file onto itself find out by comparing identities, once they know they share a host
 * ({@link #hostId()}).
 *
 * @param device the file system's device number.
 * @param inode  the file's inode number on it.
 */
public record FileIdentity(long device, long inode) {
    private static final byte[] HOST_ID = readHostId();

    /** The identity of {@code path} itself (a link is not followed), or null when nothing is there. */
    public static FileIdentity of(final Path path) {
        try {
            final Map<String, Object> attributes = Files.readAttributes(path, "unix:dev,ino", LinkOption.NOFOLLOW_LINKS);
            return new FileIdentity(((Number)attributes.get("dev")).longValue(), ((Number)attributes.get("ino")).longValue());
        } catch (final IOException | UnsupportedOperationException | IllegalArgumentException ex) {
            return null;
        }
    }

    /**
     * 16 bytes that name this host's running kernel (Linux's boot id: new at every boot, shared by every process and
     * network namespace of one kernel, which is exactly the scope in which device and inode numbers mean one file);
     * all zeros where it cannot be read, which matches nothing.
     */
    public static byte[] hostId() {
        return HOST_ID.clone();
    }

    private static byte[] readHostId() {
        final byte[] id = new byte[16];
        try {
            final String text = Files.readString(Path.of("/proc/sys/kernel/random/boot_id"), StandardCharsets.US_ASCII)
                .trim().replace("-", "");
            for (int i = 0; i < id.length && 2 * i + 1 < text.length(); i++) {
                id[i] = (byte)Integer.parseInt(text.substring(2 * i, 2 * i + 2), 16);
            }
        } catch (final IOException | RuntimeException ex) {
            return new byte[16];
        }
        return id;
    }

    /** True when {@code id} is a host identity that was read (not all zeros). */
    public static boolean isKnownHost(final byte[] id) {
        for (final byte b : id) {
            if (b != 0) {
                return true;
            }
        }
        return false;
    }

    /*
     * equals and hashCode written out: a record's own are linked by an invokedynamic bootstrap on first use, which
     * cost a cold destination tens of milliseconds inside SETUP (where it compares the source's files with its own).
     */
    @Override
    public boolean equals(final Object other) {
        return other instanceof FileIdentity that && device == that.device && inode == that.inode;
    }

    @Override
    public int hashCode() {
        return 31 * Long.hashCode(device) + Long.hashCode(inode);
    }

    @Override
    public String toString() {
        return "device " + device + ", inode " + inode;
    }
}
