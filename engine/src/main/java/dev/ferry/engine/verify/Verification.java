package dev.ferry.engine.verify;

import dev.ferry.engine.ErrorCode;
import dev.ferry.engine.FerryException;
import dev.ferry.engine.VerifyMode;
import dev.ferry.engine.protocol.StatusFlyweight;
import dev.ferry.memory.GuestMemory;
import dev.ferry.memory.RamBlock;
import dev.ferry.memory.internal.Digests;

import java.util.List;
import java.util.concurrent.ThreadFactory;
import java.util.function.BooleanSupplier;

/**
 * The verification exchange, both halves. After APPLIED the paused source digests its actual memory (CRC32C per
 * {@link #CHUNK_BYTES} chunk) and sends the digests in VERIFY; the destination digests its own actual memory and
 * compares, chunk by chunk, then answers RESULT. Digests of what was sent would hide exactly the bugs this check
 * exists for, so only memory as it is now is read.
 */
public final class Verification {
    /** The chunk both sides digest. */
    public static final int CHUNK_BYTES = Digests.DEFAULT_CHUNK_BYTES;

    private Verification() {
    }

    /** How the destination's comparison came out. */
    public record Verdict(long mismatchedChunks, String firstMismatch) {
        public boolean matches() {
            return mismatchedChunks == 0;
        }

        /** The RESULT text. */
        public String text() {
            return matches() ? "verified" : mismatchedChunks + " chunks of " + CHUNK_BYTES + " bytes differ; first: " +
                firstMismatch;
        }
    }

    /**
     * Digests every block of {@code memory} with {@code threads} threads made by {@code threadFactory}; stops early
     * (and throws) when told. A chunk of a memory file that its file system reports as all hole is taken as the zeros
     * it reads as, without faulting its pages in ({@code FileExtents}: lseek SEEK_DATA/SEEK_HOLE): it is still the
     * actual memory, as the file system holds it.
     */
    public static List<int[]> digest(final GuestMemory memory, final int threads, final BooleanSupplier stop,
        final ThreadFactory threadFactory) {
        return Digests.of(memory, CHUNK_BYTES, threads, stop, threadFactory, true);
    }

    /** The number of chunks per block, as the VERIFY message must carry them. */
    public static int[] chunkCounts(final GuestMemory memory) {
        final List<RamBlock> blocks = memory.blocks();
        final int[] counts = new int[blocks.size()];
        for (int b = 0; b < counts.length; b++) {
            counts[b] = Digests.chunkCount(blocks.get(b), CHUNK_BYTES);
        }
        return counts;
    }

    /** The destination's half: compares the source's digests with its own. */
    public static Verdict compare(final List<int[]> ours, final List<int[]> theirs, final List<RamBlock> blocks) {
        long mismatched = 0;
        String first = null;
        for (int b = 0; b < ours.size(); b++) {
            final int[] mine = ours.get(b);
            final int[] other = theirs.get(b);
            for (int c = 0; c < mine.length; c++) {
                if (mine[c] != other[c] && mismatched++ == 0) {
                    first = "block '" + blocks.get(b).name() + "' at offset " + (long)c * CHUNK_BYTES;
                }
            }
        }
        return new Verdict(mismatched, first);
    }

    /**
     * The source's half: reads the destination's RESULT. Returns whether the migration is verified; throws
     * VERIFICATION_FAILED when the digests differed, or when full verification was asked and not done.
     */
    public static boolean judge(final int resultCode, final String text, final VerifyMode mode) {
        if (resultCode == StatusFlyweight.RESULT_VERIFIED && mode == VerifyMode.FULL) {
            return true;
        }
        if (resultCode == StatusFlyweight.RESULT_MISMATCH) {
            throw new FerryException(ErrorCode.VERIFICATION_FAILED, "verification failed: " + text);
        }
        if (mode == VerifyMode.FULL) {
            throw new FerryException(ErrorCode.VERIFICATION_FAILED, "destination did not verify: " + text);
        }
        return false;
    }
}
