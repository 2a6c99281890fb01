package dev.ferry.memory.internal;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;
import com.sun.jna.Platform;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Which parts of a file hold data and which are holes, in the file system's own words: {@code lseek(SEEK_DATA)}
 * and {@code lseek(SEEK_HOLE)} (Linux 3.1+; tmpfs, ext4, xfs, btrfs answer exactly; a file system without support
 * reports the whole file as data, which only costs the saving). A hole reads as zeros without a page behind it, so
 * a digest may take a hole as zeros without reading it, and without faulting in and clearing a page per 4 KiB just
 * to read zeros. On tmpfs with no swap, {@code mincore} on the mapping says the same for a whole range in one call
 * ({@link #residencyIsExact}). Called through JNA's direct mapping (about 1.3 us a call here, against 3 to 7
 * through an interface proxy); where it is unavailable the answer is "all data".
 */
public final class FileExtents {
    private static final int SEEK_DATA = 3;
    private static final int SEEK_HOLE = 4;
    private static final int O_RDONLY = 0;
    /** errno: no data at or after the offset. */
    private static final int ENXIO = 6;
    /** {@code statfs.f_type} of tmpfs (and of /dev/shm). */
    private static final long TMPFS_MAGIC = 0x01021994L;
    /** The granule of {@code mincore}: the system page. */
    public static final int RESIDENCY_PAGE = 4096;
    private static final boolean BOUND = bind();

    private FileExtents() {
    }

    private static boolean bind() {
        try {
            if (Platform.isLinux()) {
                Native.register(FileExtents.class, "c");
                return true;
            }
        } catch (final LinkageError | RuntimeException ex) {
            // no libc through JNA here: every extent reads as data.
        }
        return false;
    }

    /** Whether the native calls are bound (Linux, JNA loaded); when not, every range reads as data. */
    public static boolean available() {
        return BOUND;
    }

    private static native int open(String path, int flags) throws LastErrorException;

    private static native long lseek(int fd, long offset, int whence) throws LastErrorException;

    private static native int close(int fd) throws LastErrorException;

    private static native int statfs(String path, byte[] buf) throws LastErrorException;

    private static native int mincore(long address, long length, long vector) throws LastErrorException;

    /**
     * Whether a page of {@code path} that is not resident is a hole, so that {@code mincore} on a shared mapping of
     * it tells data from holes in one call per range instead of two {@code lseek} calls per data extent (a guest
     * with half its pages zero at random has 131,000 extents per 2 GiB: 0.25 to 0.6 s of {@code lseek} on one thread). True
     * only for tmpfs while no swap is active: tmpfs keeps a file's data in the page cache and nowhere else but swap,
     * and {@code mincore} looks a page of a shared file mapping up in the page cache even where this process has
     * not mapped it. Not on disk file systems (a page may be data on disk and not cached) nor hugetlbfs (its
     * {@code mincore} reads only this process's page tables).
     */
    public static boolean residencyIsExact(final Path path) {
        if (!BOUND || Native.LONG_SIZE != Long.BYTES) {
            return false;
        }
        final byte[] buf = new byte[256];
        try {
            statfs(path.toString(), buf);
        } catch (final LastErrorException ex) {
            return false;
        }
        final long type = ByteBuffer.wrap(buf).order(ByteOrder.nativeOrder()).getLong(0); // f_type, the first field
        return type == TMPFS_MAGIC && noSwap();
    }

    private static boolean noSwap() {
        try {
            return Files.readAllLines(Path.of("/proc/swaps")).size() <= 1;
        } catch (final IOException | RuntimeException ex) {
            return false;
        }
    }

    /**
     * Fills {@code vector} (one byte per {@link #RESIDENCY_PAGE}, bit 0 set when resident) for {@code length} bytes
     * of a mapping from the page-aligned {@code address}; false if the call failed.
     */
    public static boolean residency(final long address, final long length, final long vector) {
        if (!BOUND) {
            return false;
        }
        try {
            return mincore(address, length, vector) == 0;
        } catch (final LastErrorException ex) {
            return false;
        }
    }

    /** Opens a forward walk over the extents of {@code length} bytes of {@code path} from {@code offset}. */
    public static Cursor cursor(final Path path, final long offset, final long length) {
        int fd = -1;
        if (BOUND) {
            try {
                fd = open(path.toString(), O_RDONLY | NativeFiles.O_NOFOLLOW);
            } catch (final LastErrorException ex) {
                fd = -1;
            }
        }
        return new Cursor(fd, offset, length);
    }

    /**
     * A walk over one range of a file, for one thread, in offsets relative to the range. It remembers its last answer
     * (a hole, then the data after it), so a thread moving forward asks the file system twice per data extent
     * however many chunks an extent spans (asking per chunk would be quadratic: tmpfs answers {@code SEEK_HOLE} by
     * walking to the next hole). When the file system cannot say, everything is data.
     */
    public static final class Cursor implements AutoCloseable {
        private int fd;
        private final long offset;
        private final long length;
        private long holeFrom;
        private long dataFrom;
        private long dataTo;

        private Cursor(final int fd, final long offset, final long length) {
            this.fd = fd;
            this.offset = offset;
            this.length = length;
            if (fd < 0) {
                dataTo = length;
            }
        }

        /** Whether the file system answers (false: every byte counts as data). */
        public boolean answers() {
            return fd >= 0;
        }

        /** The first byte at or after {@code at} that is data, or the range's length if none is. */
        public long dataAtOrAfter(final long at) {
            cover(at);
            return Math.max(at, dataFrom);
        }

        /** The end of the data at {@code at} (the next hole, or the range's length); {@code at} must be data. */
        public long dataEndAfter(final long at) {
            cover(at);
            return dataTo;
        }

        private void cover(final long at) {
            if (at >= holeFrom && at < dataTo || fd < 0) {
                return;
            }
            try {
                long data;
                try {
                    data = Math.min(length, lseek(fd, offset + at, SEEK_DATA) - offset);
                } catch (final LastErrorException ex) {
                    if (ex.getErrorCode() != ENXIO) {
                        throw ex;
                    }
                    data = length;
                }
                holeFrom = at;
                dataFrom = data;
                dataTo = data >= length ? length : Math.min(length, lseek(fd, offset + data, SEEK_HOLE) - offset);
            } catch (final LastErrorException ex) {
                giveUp();
            }
        }

        /** The file system failed to answer: everything from now on is data, which is always safe to read. */
        private void giveUp() {
            close();
            holeFrom = 0;
            dataFrom = 0;
            dataTo = length;
        }

        @Override
        public void close() {
            if (fd >= 0) {
                try {
                    FileExtents.close(fd);
                } catch (final LastErrorException ignore) {
                    // a read-only descriptor: nothing was lost.
                }
                fd = -1;
            }
        }
    }
}
