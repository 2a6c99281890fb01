package dev.ferry.memory;

import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The dirty bitmap's contract checked on data, not on marks: writers store a new version into a page and then
 * mark it; a harvester harvests and then copies the harvested pages into a shadow. After the writers stop and one
 * last harvest and copy, the shadow must equal memory page for page. A deliberately broken harvest (read the word,
 * yield, then clear it) must be caught by the same check, proving the check has teeth.
 */
final class DirtyBitmapConcurrencyTest {
    private static final int PAGES = 4096;
    private static final int PAGE = 4096;
    private static final int WRITES_PER_TRIAL = 2000;

    private RamBlock memory;
    private RamBlock shadow;

    /** How a harvest moves bits from the shared bitmap into the migration's own. */
    interface Harvest {
        void harvest(DirtyBitmap shared, PageBitmap target);
    }

    /** The broken variant: a plain read, a window, a blind clear: marks made in the window are lost. */
    static final Harvest BROKEN = (shared, target) -> {
        final AtomicBuffer words = shared.words();
        for (int i = 0; i < shared.wordCount(); i++) {
            final long word = words.getLongVolatile(i << 3);
            if (word != 0) {
                Thread.yield();
                words.putLongVolatile(i << 3, 0);
                target.orWord(i, word);
            }
        }
    };

    static final Harvest CORRECT = DirtyBitmap::syncAndClear;

    @BeforeEach
    void setUp() {
        memory = RamBlock.anonymous(0, "ram", (long)PAGES * PAGE, PAGE);
        shadow = RamBlock.anonymous(1, "shadow", (long)PAGES * PAGE, PAGE);
    }

    @AfterEach
    void tearDown() {
        memory.close();
        shadow.close();
    }

    @Test
    @Timeout(60)
    void noWriteIsLostOverMillionsOfWrites() throws Exception {
        final Result result = run(CORRECT, 2, 1_500_000, 20_000);
        assertEquals(0, result.mismatchedPages, "pages whose last write never reached the shadow");
        assertTrue(result.writes >= 1_000_000, "too few writes to mean anything: " + result.writes);
    }

    @Test
    @Timeout(60)
    void brokenHarvestIsCaught() throws Exception {
        final Result result = run(BROKEN, 1, Long.MAX_VALUE, 40_000);
        assertTrue(result.mismatchedPages > 0, "the broken harvest lost no write in " + result.writes +
            " writes: the check has no teeth");
    }

    private record Result(long writes, long mismatchedPages) {
    }

    private Result run(
        final Harvest harvest, final int writers, final long writeTarget, final long maxMillis) throws Exception {
        final long deadline = System.currentTimeMillis() + maxMillis;
        final PageBitmap own = new PageBitmap(PAGES);
        long writes = 0;
        long trial = 0;
        while (writes < writeTarget && System.currentTimeMillis() < deadline) {
            final long mismatched = trial(harvest, own, writers, trial++);
            writes += (long)WRITES_PER_TRIAL * writers;
            if (mismatched > 0) {
                return new Result(writes, mismatched);
            }
        }
        return new Result(writes, 0);
    }

    private long trial(final Harvest harvest, final PageBitmap own, final int writers, final long trial)
        throws Exception {
        final AtomicBoolean writing = new AtomicBoolean(true);
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        final Thread[] threads = new Thread[writers];
        for (int w = 0; w < writers; w++) {
            final int writer = w;
            threads[w] = new Thread(() -> {
                final SplittableRandom random = new SplittableRandom(trial * 1000 + writer);
                final UnsafeBuffer window = memory.window(0);
                for (int i = 0; i < WRITES_PER_TRIAL; i++) {
                    // Each writer owns the pages congruent to its index, so the version is its own counter.
                    final long page = writer + (long)random.nextInt(PAGES / writers) * writers;
                    final int offset = (int)page * PAGE;
                    final long version = window.getLong(offset) + 1;
                    window.putLong(offset, version);
                    window.putLong(offset + PAGE - 8, version);
                    memory.dirtyBitmap().markDirty(page);
                }
            });
            threads[w].setUncaughtExceptionHandler((t, ex) -> failure.set(ex));
        }
        for (final Thread thread : threads) {
            thread.start();
        }
        final Thread joiner = new Thread(() -> {
            for (final Thread thread : threads) {
                try {
                    thread.join();
                } catch (final InterruptedException ignore) {
                    return;
                }
            }
            writing.set(false);
        });
        joiner.start();
        while (writing.get()) {
            harvestAndCopy(harvest, own);
        }
        joiner.join();
        harvestAndCopy(harvest, own);
        if (null != failure.get()) {
            throw new AssertionError(failure.get());
        }
        return mismatchedPages();
    }

    private void harvestAndCopy(final Harvest harvest, final PageBitmap own) {
        harvest.harvest(memory.dirtyBitmap(), own);
        for (long page = own.nextSet(0); page >= 0; page = own.nextSet(page + 1)) {
            own.clear(page);
            final int offset = (int)page * PAGE;
            shadow.window(0).putBytes(offset, memory.window(0), offset, PAGE);
        }
    }

    private long mismatchedPages() {
        long mismatched = 0;
        for (long page = 0; page < PAGES; page++) {
            final int offset = (int)page * PAGE;
            if (memory.window(0).getLong(offset) != shadow.window(0).getLong(offset) ||
                memory.window(0).getLong(offset + PAGE - 8) != shadow.window(0).getLong(offset + PAGE - 8)) {
                mismatched++;
            }
        }
        return mismatched;
    }
}
