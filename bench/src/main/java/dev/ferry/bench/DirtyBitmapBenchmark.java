package dev.ferry.bench;

import dev.ferry.memory.DirtyBitmap;
import dev.ferry.memory.PageBitmap;
import org.agrona.BufferUtil;
import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * The dirty bitmap's hot paths over a 1 GiB guest of 4 KiB pages (262,144 pages, 4,096 words).
 * <p>
 * {@code markDirty*}: the kept variant (full fence, then a CAS only if the bit is clear) against a page whose bit is
 * already set and one whose bit is clear, beside the alternatives for comparison only: an unconditional CAS
 * (correct, slower when the bit is set) and the plain-read fast path without the fence, which is <em>wrong</em> on
 * x86 (see {@link DirtyBitmap}). {@code syncAndClear}: one harvest of the whole guest at 0, 1 and 100% dirty.
 * {@code nextDirtyScan}: a scan of a clean 1 GiB guest (262,144 pages of bitmap) end to end.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--add-opens=java.base/jdk.internal.misc=ALL-UNNAMED")
public class DirtyBitmapBenchmark {
    static final long PAGES = (1L << 30) / 4096;

    /** A bitmap with one page's bit set, for the "already set" variants. */
    @State(Scope.Thread)
    public static class Marks {
        final DirtyBitmap bitmap = new DirtyBitmap(PAGES);
        final AtomicBuffer words = new UnsafeBuffer(BufferUtil.allocateDirectAligned((int)(PAGES / 8), 64));
        final long setPage = 4097;

        @Setup(Level.Iteration)
        public void setUp() {
            bitmap.markDirty(setPage);
            words.putLong((int)(setPage >>> 6) << 3, 1L << setPage);
        }
    }

    /**
     * Pages whose bit is clear: each call marks the next page; after the last page the 32 KiB bitmap is cleared
     * (about 1 us every 262,144 calls, under 0.01 ns a call).
     */
    @State(Scope.Thread)
    public static class ClearMarks {
        final DirtyBitmap bitmap = new DirtyBitmap(PAGES);
        final AtomicBuffer words = new UnsafeBuffer(BufferUtil.allocateDirectAligned((int)(PAGES / 8), 64));
        long page;
    }

    @Benchmark
    public void markDirtyBitAlreadySet(final Marks marks) {
        marks.bitmap.markDirty(marks.setPage);
    }

    @Benchmark
    public void markDirtyBitClear(final ClearMarks marks) {
        if (++marks.page == PAGES) {
            marks.page = 0;
            marks.bitmap.clearAll();
        }
        marks.bitmap.markDirty(marks.page);
    }

    /** WRONG on x86, for comparison only: a plain load may pass the writer's earlier page store. */
    @Benchmark
    public void brokenPlainReadFastPathBitAlreadySet(final Marks marks) {
        markWithPlainFastPath(marks.words, marks.setPage);
    }

    /** Correct, the variant measured against: a locked CAS every time. */
    @Benchmark
    public void casAlwaysBitAlreadySet(final Marks marks) {
        casAlways(marks.words, marks.setPage);
    }

    @Benchmark
    public void casAlwaysBitClear(final ClearMarks marks) {
        if (++marks.page == PAGES) {
            marks.page = 0;
            marks.words.setMemory(0, (int)(PAGES / 8), (byte)0);
        }
        casAlways(marks.words, marks.page);
    }

    private static void casAlways(final AtomicBuffer words, final long page) {
        final int offset = (int)(page >>> 6) << 3;
        final long mask = 1L << page;
        long word;
        do {
            word = words.getLongVolatile(offset);
        } while (!words.compareAndSetLong(offset, word, word | mask));
    }

    private static void markWithPlainFastPath(final AtomicBuffer words, final long page) {
        final int offset = (int)(page >>> 6) << 3;
        final long mask = 1L << page;
        long word = words.getLong(offset);
        if ((word & mask) != 0) {
            return;
        }
        do {
            word = words.getLongVolatile(offset);
        } while (!words.compareAndSetLong(offset, word, word | mask));
    }

    /** A 1 GiB guest's bitmap, dirtied to {@code dirtyPercent} before every harvest. */
    @State(Scope.Thread)
    public static class Harvest {
        @Param({"0", "1", "100"})
        public int dirtyPercent;
        final DirtyBitmap shared = new DirtyBitmap(PAGES);
        final PageBitmap own = new PageBitmap(PAGES);

        @Setup(Level.Invocation)
        public void dirty() {
            own.clearAll();
            if (dirtyPercent == 100) {
                shared.markDirty(0, PAGES);
            } else if (dirtyPercent > 0) {
                final long step = 100 / dirtyPercent;
                for (long page = 0; page < PAGES; page += step) {
                    shared.markDirty(page);
                }
            }
        }
    }

    /** Time to harvest one GiB of guest. */
    @Benchmark
    public long syncAndClearPerGiB(final Harvest harvest) {
        return harvest.shared.syncAndClear(harvest.own);
    }

    /** A clean 1 GiB guest's bitmaps. */
    @State(Scope.Thread)
    public static class Scan {
        final DirtyBitmap shared = new DirtyBitmap(PAGES);
        final PageBitmap own = new PageBitmap(PAGES);
    }

    /** Scans the shared bitmap of a clean 1 GiB guest: guest bytes covered per ns = 2^30 / score. */
    @Benchmark
    public long nextDirtyScanPerGiB(final Scan scan) {
        return scan.shared.nextDirty(0);
    }

    /** The migration's own bitmap, scanned the same way. */
    @Benchmark
    public long pageBitmapScanPerGiB(final Scan scan) {
        return scan.own.nextSet(0);
    }
}
