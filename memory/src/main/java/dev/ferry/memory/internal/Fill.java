package dev.ferry.memory.internal;

import dev.ferry.memory.RamBlock;
import org.agrona.concurrent.UnsafeBuffer;

import java.util.SplittableRandom;

/** Deterministic fills of guest memory, from a seed. */
public final class Fill {
    private static final int PIECE = 64;
    private Fill() {
    }

    /** Incompressible content: every page random. */
    public static void random(final RamBlock block, final long seed) {
        mixed(block, 0.0, seed);
    }

    /** All zeros. */
    public static void zero(final RamBlock block) {
        for (int w = 0; w < block.windowCount(); w++) {
            final UnsafeBuffer window = block.window(w);
            window.setMemory(0, window.capacity(), (byte)0);
        }
    }

    /** Each page zero with probability {@code zeroShare} (0..1), else random; the choice per page is from the seed. */
    public static void mixed(final RamBlock block, final double zeroShare, final long seed) {
        if (zeroShare < 0 || zeroShare > 1) {
            throw new IllegalArgumentException("zero share " + zeroShare + " must be 0..1");
        }
        final SplittableRandom random = new SplittableRandom(seed);
        final int pageSize = block.pageSizeBytes();
        for (long page = 0; page < block.pageCount(); page++) {
            final UnsafeBuffer window = block.windowOfPage(page);
            final int offset = block.offsetInWindow(page);
            if (zeroShare > 0 && random.nextDouble() < zeroShare) {
                window.setMemory(offset, pageSize, (byte)0);
            } else {
                for (int i = 0; i < pageSize; i += Long.BYTES) {
                    window.putLong(offset + i, random.nextLong());
                }
            }
        }
    }

    /**
     * Compressible content, like a guest's heap: each page is built from 64-byte pieces, the first random and each
     * later one random with probability {@code randomShare}, else a copy of an earlier piece of the same page. A
     * share of 1/3 compresses about 3:1 with zstd or zlib at their fastest levels, page by page. No page is zero.
     */
    public static void compressible(final RamBlock block, final double randomShare, final long seed) {
        if (randomShare <= 0 || randomShare > 1) {
            throw new IllegalArgumentException("random share " + randomShare + " must be above 0, at most 1");
        }
        final SplittableRandom random = new SplittableRandom(seed);
        final int pageSize = block.pageSizeBytes();
        final UnsafeBuffer page = new UnsafeBuffer(new byte[pageSize]);
        for (long p = 0; p < block.pageCount(); p++) {
            for (int piece = 0; piece < pageSize; piece += PIECE) {
                if (piece == 0 || random.nextDouble() < randomShare) {
                    for (int i = 0; i < PIECE; i += Long.BYTES) {
                        page.putLong(piece + i, random.nextLong());
                    }
                } else {
                    page.putBytes(piece, page, random.nextInt(piece / PIECE) * PIECE, PIECE);
                }
            }
            block.windowOfPage(p).putBytes(block.offsetInWindow(p), page, 0, pageSize);
        }
    }
}
