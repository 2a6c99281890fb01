package dev.ferry.memory.internal;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;
import com.sun.jna.Platform;

/**
 * The few file calls Java cannot make on one descriptor: create a file exclusively without following a link, size it
 * sparse ({@code ftruncate}) or reserve its blocks ({@code posix_fallocate}), all on the descriptor that created it,
 * so nothing can swap the path in between. Where JNA or Linux is missing, {@link #available()} is false and
 * {@link MemoryFiles} falls back to Java's calls by path.
 */
final class NativeFiles {
    private static final int O_RDWR = 02;
    private static final int O_CREAT = 0100;
    private static final int O_EXCL = 0200;
    private static final int O_CLOEXEC = 02000000;
    /** Differs by architecture: 0100000 on ARM, 0400000 on x86 and most others. */
    static final int O_NOFOLLOW = Platform.isARM() ? 0100000 : 0400000;
    private static final int PRIVATE_MODE = 0600;
    /** errno: the file system cannot reserve blocks. */
    static final int EOPNOTSUPP = 95;
    private static final boolean BOUND = bind();

    private NativeFiles() {
    }

    private static boolean bind() {
        try {
            if (Platform.isLinux() && Native.LONG_SIZE == Long.BYTES) {
                Native.register(NativeFiles.class, "c");
                return true;
            }
        } catch (final LinkageError | RuntimeException ex) {
            // no libc through JNA here: MemoryFiles uses Java's calls.
        }
        return false;
    }

    static boolean available() {
        return BOUND;
    }

    private static native int open(String path, int flags, int mode) throws LastErrorException;

    private static native int ftruncate(int fd, long length) throws LastErrorException;

    private static native int posix_fallocate(int fd, long offset, long length);

    private static native int close(int fd) throws LastErrorException;

    /** Creates {@code path} (mode 0600, never through a link, never an existing file); returns its descriptor. */
    static int createExclusive(final String path) {
        return open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, PRIVATE_MODE);
    }

    static void truncate(final int fd, final long lengthBytes) {
        ftruncate(fd, lengthBytes);
    }

    /** Reserves the blocks of the first {@code lengthBytes}; 0 or an errno. */
    static int reserve(final int fd, final long lengthBytes) {
        return posix_fallocate(fd, 0, lengthBytes);
    }

    static void closeQuietly(final int fd) {
        try {
            close(fd);
        } catch (final LastErrorException ignore) {
            // nothing was written through it that a failed close could lose: the mapping writes, not the descriptor.
        }
    }
}
