package dev.ferry.memory.internal;

import dev.ferry.memory.RamBlock;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/** Page operations: zero detection, zero fill, CRC32C digests. Static and allocation-free unless noted. */
public final class Pages {
    /**
     * A page of zeros to compare against: direct, never written, read by every thread at once (reads do not move
     * its position or limit). One smallest page, so it stays in each core's L1 while a larger page is compared
     * against it piece by piece.
     */
    private static final ByteBuffer ZEROS = ByteBuffer.allocateDirect(RamBlock.MIN_PAGE_SIZE).asReadOnlyBuffer();

    private Pages() {
    }

    /**
     * True if the bytes of {@code view} from its position to its limit are all zero, compared with a page of zeros
     * by {@link ByteBuffer#mismatch}, which the JDK vectorises (an intrinsic in both of HotSpot's compilers): a zero
     * page costs a read at memory bandwidth, 2.4 times faster than {@link #isZero(UnsafeBuffer, int, int)} under C2
     * and 6.5 times under C1 (ChunkReadBenchmark), and a page with data stops at its first differing bytes. The
     * length must be a multiple of {@link RamBlock#MIN_PAGE_SIZE} (every page size is). Moves {@code view}'s
     * position and limit (to its old limit, and past the bytes read); allocates nothing.
     */
    public static boolean isZero(final ByteBuffer view) {
        final int end = view.limit();
        for (int at = view.position(); at < end; at += RamBlock.MIN_PAGE_SIZE) {
            view.limit(at + RamBlock.MIN_PAGE_SIZE).position(at);
            if (view.mismatch(ZEROS) >= 0) {
                view.limit(end);
                return false;
            }
        }
        view.limit(end);
        return true;
    }

    /**
     * True if {@code length} bytes at {@code offset} are all zero. Reads 64 bytes per step as eight longs ORed
     * together and stops at the first non-zero step, so a typical non-zero page costs one step and a zero page one
     * pass at memory bandwidth. {@code length} must be a multiple of 64 (every page size is).
     */
    public static boolean isZero(final UnsafeBuffer buffer, final int offset, final int length) {
        final int end = offset + length;
        for (int i = offset; i < end; i += 64) {
            final long acc = buffer.getLong(i) | buffer.getLong(i + 8) | buffer.getLong(i + 16) |
                buffer.getLong(i + 24) | buffer.getLong(i + 32) | buffer.getLong(i + 40) |
                buffer.getLong(i + 48) | buffer.getLong(i + 56);
            if (acc != 0) {
                return false;
            }
        }
        return true;
    }

    /**
     * True if page {@code page} of {@code block} is all zero, by {@link #isZero(ByteBuffer)} (allocates a view: for
     * checks; the sender tests through its {@link PageViews}).
     */
    public static boolean isZero(final RamBlock block, final long page) {
        final ByteBuffer view = block.windowByteBuffer(block.windowOf(page)).duplicate();
        final int offset = block.offsetInWindow(page);
        return isZero(view.limit(offset + block.pageSizeBytes()).position(offset));
    }

    /** {@link #isZero(RamBlock, long)} the old way, eight longs at a time (ChunkReadBenchmark's baseline, tests). */
    static boolean isZeroByLongs(final RamBlock block, final long page) {
        return isZero(block.windowOfPage(page), block.offsetInWindow(page), block.pageSizeBytes());
    }

    /** Fills page {@code page} of {@code block} with zeros. */
    public static void zero(final RamBlock block, final long page) {
        block.windowOfPage(page).setMemory(block.offsetInWindow(page), block.pageSizeBytes(), (byte)0);
    }

    /** The CRC32C of one page (allocates a view and a CRC object: for checks, not for hot paths). */
    public static int crc32c(final RamBlock block, final long page) {
        return crc32c(block, page, 1);
    }

    /** The CRC32C of {@code pageCount} consecutive pages from {@code firstPage}, across windows if need be. */
    public static int crc32c(final RamBlock block, final long firstPage, final long pageCount) {
        final CRC32C crc = new CRC32C();
        update(crc, block, firstPage << block.pageShift(), pageCount << block.pageShift());
        return (int)crc.getValue();
    }

    /** The CRC32C of the whole block. */
    public static int crc32c(final RamBlock block) {
        return crc32c(block, 0, block.pageCount());
    }

    /** Feeds {@code length} bytes of {@code block} from byte {@code from} into {@code crc}, window by window. */
    public static void update(final CRC32C crc, final RamBlock block, final long from, final long length) {
        long at = from;
        final long end = from + length;
        final long windowMask = (1L << block.windowShift()) - 1;
        while (at < end) {
            final int window = (int)(at >>> block.windowShift());
            final int offset = (int)(at & windowMask);
            final ByteBuffer view = block.windowByteBuffer(window).duplicate();
            final int len = (int)Math.min(end - at, view.capacity() - offset);
            view.limit(offset + len).position(offset);
            crc.update(view);
            at += len;
        }
    }
}
