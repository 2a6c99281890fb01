package dev.ferry.memory;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Platform;

import java.nio.file.Path;
import java.util.function.IntFunction;

/**
 * Which parts of a file hold data and which are holes, in the file system's own words: {@code lseek(SEEK_DATA)}
 * and {@code lseek(SEEK_HOLE)} (Linux 3.1+; tmpfs, ext4, xfs, btrfs answer exactly; a file system without support
 * reports the whole file as data, which only costs the saving). A hole reads as zeros without a page behind it, so
 * a digest may take a chunk that is all hole as zeros without reading it, and without faulting in and clearing a
 * page per 4 KiB just to read zeros. Called through JNA; where it is unavailable the answer is "cannot say".
 */
public final class FileExtents {
    private static final int SEEK_DATA = 3;
    private static final int SEEK_HOLE = 4;
    private static final int O_RDONLY = 0;
    /** errno: no data at or after the offset. */
    private static final int ENXIO = 6;
    private static final LibC LIBC = load();

    /** The three libc calls, bound by JNA. */
    interface LibC extends Library {
        int open(String path, int flags) throws LastErrorException;

        long lseek(int fd, long offset, int whence) throws LastErrorException;

        int close(int fd) throws LastErrorException;
    }

    private FileExtents() {
    }

    private static LibC load() {
        try {
            return Platform.isLinux() ? Native.load("c", LibC.class) : null;
        } catch (final LinkageError | RuntimeException ex) {
            return null;
        }
    }

    /**
     * For each {@code chunkBytes} chunk of {@code length} bytes of {@code path} from {@code offset}: true if the file
     * system holds any data in it, false if it is all hole. One {@code lseek} per data chunk and per run of hole
     * chunks. Null when the file system cannot say (not Linux, no libc through JNA, an error): then every chunk must
     * be read.
     */
    public static boolean[] dataChunks(final Path path, final long offset, final long length, final int chunkBytes) {
        return withFile(path, fd -> chunks(fd, offset, length, chunkBytes));
    }

    /** Runs {@code query} on a read-only descriptor of {@code path}; null if JNA, the file or a call fails. */
    private static <T> T withFile(final Path path, final IntFunction<T> query) {
        if (null == LIBC) {
            return null;
        }
        final int fd;
        try {
            fd = LIBC.open(path.toString(), O_RDONLY);
        } catch (final LastErrorException ex) {
            return null;
        }
        try {
            return query.apply(fd);
        } catch (final LastErrorException ex) {
            return null;
        } finally {
            try {
                LIBC.close(fd);
            } catch (final LastErrorException ignore) {
                // a read-only descriptor: nothing was lost.
            }
        }
    }

    private static boolean[] chunks(final int fd, final long offset, final long length, final int chunkBytes) {
        final boolean[] data = new boolean[(int)((length + chunkBytes - 1) / chunkBytes)];
        long at = 0;
        while (at < length) {
            final long next;
            try {
                next = LIBC.lseek(fd, offset + at, SEEK_DATA) - offset;
            } catch (final LastErrorException ex) {
                if (ex.getErrorCode() == ENXIO) {
                    break;
                }
                throw ex;
            }
            if (next >= length) {
                break;
            }
            final int chunk = (int)(next / chunkBytes);
            data[chunk] = true;
            at = (long)(chunk + 1) * chunkBytes;
        }
        return data;
    }
}
