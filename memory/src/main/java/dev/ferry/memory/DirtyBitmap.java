package dev.ferry.memory;

import org.agrona.BufferUtil;
import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.lang.invoke.VarHandle;

/**
 * One bit per page, off-heap in 64-bit words, marked lock-free by any number of writers and harvested atomically
 * by the migration.
 * <p>
 * <b>Ordering contract with writers.</b> A writer <em>stores into the page first, then marks</em> it. The
 * migration <em>harvests first</em> ({@link #syncAndClear}: an atomic get-and-set of each word to zero) and
 * <em>reads the page after</em>. A write that races a harvest is therefore caught by this harvest or the next,
 * never by neither:
 * <ul>
 *   <li>if the writer's mark lands before the harvest's get-and-set of its word, the harvest takes the bit and the
 *   page is read afterwards, so the read sees the store (the mark is a locked read-modify-write, which orders the
 *   earlier store before it; the harvest's get-and-set orders the later page read after it);</li>
 *   <li>if the mark lands after the get-and-set, the bit stays set for the next harvest.</li>
 * </ul>
 * <b>Why {@link #markDirty(long)} starts with a full fence.</b> Most marks hit a page whose bit is already set (a
 * hot page written many times between harvests), so it is worth skipping the locked CAS when the bit is set. The
 * tempting plain version of that fast path, "load the word and skip when the bit is set", loses writes on x86:
 * the store into the page may sit in the store buffer while the later load of the bitmap word is satisfied early
 * (store-load reordering, the one reordering x86 permits). The writer sees the old 1 and skips; meanwhile the
 * harvester clears the bit and reads the page <em>before</em> the store is visible, so it sends the old bytes and
 * no bit is left to send the new ones: the write is lost for good. A full fence between the page store and the
 * load closes that window: if the load still sees the bit set, the harvest that will clear it comes later in the
 * word's order, and its page read comes after that, so it sees the store. If the bit is clear, a CAS sets it.
 * {@code DirtyBitmapBenchmark} measured on this project's 2-core EPYC machine (docs/benchmarks.md): with the bit
 * set, 3.4-3.7 ns for this against 4.9 ns for an unconditional CAS (2.0-2.7 ns for the broken plain fast path);
 * with the bit clear the two cost the same within the machine's noise. The fence is what makes it correct: never
 * remove it.
 * <p>
 * The same structure serves as the destination's "written" map (which pages were ever written, so a zero page
 * needs a fill) and as the entry point of an external dirty log, e.g. a VMM's KVM log fed with
 * {@link #markDirtyWord(int, long)}.
 */
public final class DirtyBitmap {
    private final long bitCount;
    private final int wordCount;
    private final AtomicBuffer words;

    /** A bitmap of {@code bitCount} clear bits. */
    public DirtyBitmap(final long bitCount) {
        if (bitCount < 0 || (bitCount + 63) / 64 > Integer.MAX_VALUE / Long.BYTES) {
            throw new MemoryException("dirty bitmap of " + bitCount + " pages is out of range");
        }
        this.bitCount = bitCount;
        this.wordCount = (int)((bitCount + 63) >>> 6);
        this.words = new UnsafeBuffer(BufferUtil.allocateDirectAligned(Math.max(Long.BYTES, wordCount * Long.BYTES),
            64));
    }

    public long bitCount() {
        return bitCount;
    }

    public int wordCount() {
        return wordCount;
    }

    /**
     * Marks {@code page} dirty after the caller's store into it: a full fence, then a CAS only if the bit is not
     * already set. See the class comment for why the fence must stay.
     */
    public void markDirty(final long page) {
        final int offset = (int)(page >>> 6) << 3;
        final long mask = 1L << page;
        final AtomicBuffer words = this.words;
        VarHandle.fullFence();
        long word = words.getLongVolatile(offset);
        while ((word & mask) == 0) {
            if (words.compareAndSetLong(offset, word, word | mask)) {
                return;
            }
            word = words.getLongVolatile(offset);
        }
    }

    /** Marks every page in {@code [fromPage, fromPage + count)} dirty, one atomic OR per word. */
    public void markDirty(final long fromPage, final long count) {
        if (count <= 0) {
            return;
        }
        final long end = fromPage + count;
        long page = fromPage;
        while (page < end) {
            final int wordIndex = (int)(page >>> 6);
            final long wordEnd = Math.min(end, ((long)wordIndex + 1) << 6);
            final int bits = (int)(wordEnd - page);
            final long mask = (bits == 64 ? -1L : ((1L << bits) - 1)) << (page & 63);
            markDirtyWord(wordIndex, mask);
            page = wordEnd;
        }
    }

    /** ORs {@code mask} into word {@code wordIndex} atomically: the way to feed an external 64-page dirty log word. */
    public void markDirtyWord(final int wordIndex, final long mask) {
        final int offset = wordIndex << 3;
        long word;
        do {
            word = words.getLongVolatile(offset);
        } while (!words.compareAndSetLong(offset, word, word | mask));
    }

    /** True if {@code page}'s bit is set (a volatile read). */
    public boolean isDirty(final long page) {
        return (words.getLongVolatile((int)(page >>> 6) << 3) & (1L << page)) != 0;
    }

    /** Clears one bit atomically. */
    public void clear(final long page) {
        final int offset = (int)(page >>> 6) << 3;
        final long mask = 1L << page;
        long word;
        do {
            word = words.getLongVolatile(offset);
            if ((word & mask) == 0) {
                return;
            }
        } while (!words.compareAndSetLong(offset, word, word & ~mask));
    }

    /**
     * Harvests every set bit into {@code target} and clears it here, one atomic get-and-set per non-zero word, so a
     * mark made concurrently is either taken now or left for the next harvest, never lost. A word read as zero is
     * skipped without a write: a mark landing after that read simply stays for the next harvest.
     *
     * @return the number of bits harvested.
     */
    public long syncAndClear(final PageBitmap target) {
        if (target.bitCount() != bitCount) {
            throw new IllegalArgumentException("target has " + target.bitCount() + " bits, this bitmap " + bitCount);
        }
        final AtomicBuffer words = this.words;
        long harvested = 0;
        for (int i = 0, offset = 0; i < wordCount; i++, offset += Long.BYTES) {
            if (words.getLongVolatile(offset) != 0) {
                final long word = words.getAndSetLong(offset, 0);
                target.orWord(i, word);
                harvested += Long.bitCount(word);
            }
        }
        return harvested;
    }

    /**
     * The first set bit at or after {@code fromPage}, or -1; scans whole words with plain loads after one acquire
     * fence. A scan is a snapshot whatever the loads: a mark landing behind it is found by the next harvest, which
     * is atomic. Plain loads let the JIT unroll the loop.
     */
    public long nextDirty(final long fromPage) {
        if (fromPage >= bitCount || fromPage < 0) {
            return -1;
        }
        VarHandle.acquireFence();
        final AtomicBuffer words = this.words;
        int wordIndex = (int)(fromPage >>> 6);
        long word = words.getLong(wordIndex << 3) & (-1L << fromPage);
        while (word == 0) {
            if (++wordIndex >= wordCount) {
                return -1;
            }
            word = words.getLong(wordIndex << 3);
        }
        final long page = ((long)wordIndex << 6) + Long.numberOfTrailingZeros(word);
        return page < bitCount ? page : -1;
    }

    /** The number of set bits, read word by word (a snapshot only when no one is marking). */
    public long cardinality() {
        VarHandle.acquireFence();
        long count = 0;
        for (int i = 0; i < wordCount; i++) {
            count += Long.bitCount(words.getLong(i << 3));
        }
        return count;
    }

    /** The words themselves, for tests in this package that model a broken harvest. */
    AtomicBuffer words() {
        return words;
    }

    /** Clears every bit (not atomic as a whole; for set-up and tests). */
    public void clearAll() {
        words.setMemory(0, wordCount * Long.BYTES, (byte)0);
    }
}
