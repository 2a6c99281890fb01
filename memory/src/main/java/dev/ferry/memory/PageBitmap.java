package dev.ferry.memory;


import java.util.Arrays;

/**
 * A plain, single-threaded page bitmap on the heap: the migration's own copy of the dirty set for one round.
 * {@link DirtyBitmap#syncAndClear} moves shared bits in; the migration clears a bit when it queues the page, so a
 * page is sent at most once per round, and {@link #nextSet(long)} only moves forward.
 */
public final class PageBitmap {
    private final long bitCount;
    private final long[] words;

    public PageBitmap(final long bitCount) {
        if (bitCount < 0 || (bitCount + 63) >>> 6 > Integer.MAX_VALUE - 8) {
            throw new MemoryException("page bitmap of " + bitCount + " pages is out of range");
        }
        this.bitCount = bitCount;
        this.words = new long[(int)((bitCount + 63) >>> 6)];
    }

    public long bitCount() {
        return bitCount;
    }

    public void set(final long page) {
        words[(int)(page >>> 6)] |= 1L << page;
    }

    public void clear(final long page) {
        words[(int)(page >>> 6)] &= ~(1L << page);
    }

    public boolean get(final long page) {
        return (words[(int)(page >>> 6)] & (1L << page)) != 0;
    }

    void orWord(final int wordIndex, final long bits) {
        words[wordIndex] |= bits;
    }

    /** Sets every page bit (round 0 sends every page). */
    public void setAll() {
        Arrays.fill(words, -1L);
        final int tail = (int)(bitCount & 63);
        if (tail != 0) {
            words[words.length - 1] = (1L << tail) - 1;
        }
    }

    public void clearAll() {
        Arrays.fill(words, 0L);
    }

    /** The first set bit at or after {@code fromPage}, or -1. */
    public long nextSet(final long fromPage) {
        if (fromPage >= bitCount || fromPage < 0) {
            return -1;
        }
        int wordIndex = (int)(fromPage >>> 6);
        long word = words[wordIndex] & (-1L << fromPage);
        while (word == 0) {
            if (++wordIndex >= words.length) {
                return -1;
            }
            word = words[wordIndex];
        }
        return ((long)wordIndex << 6) + Long.numberOfTrailingZeros(word);
    }

    public long cardinality() {
        long count = 0;
        for (final long word : words) {
            count += Long.bitCount(word);
        }
        return count;
    }
}
