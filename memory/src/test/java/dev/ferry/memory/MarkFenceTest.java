package dev.ferry.memory;

import org.agrona.BufferUtil;
import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The fence at the start of {@link DirtyBitmap#markDirty(long)} checked in CI, not only by jcstress.
 * <p>
 * The race it closes is the store-buffering one: a writer stores into a page and loads the page's bitmap word
 * (the fast path skips the CAS when the bit is set); a harvester takes the word with a get-and-set and then reads
 * the page. Without the fence, x86 may satisfy the writer's load before its store leaves the store buffer: the
 * writer sees the old bit and skips, the harvester clears it and reads the old page, and the write is lost.
 * <p>
 * A random workload almost never puts the two on the same word within those few nanoseconds. This harness makes
 * them meet on purpose: a writer and a harvester walk a ring of slots (one bitmap word and one page each, on
 * cache lines of their own) in lockstep, each waiting only for the other to finish the previous step, so at every
 * step both work on the same slot at once. One step later the harvester checks the slot: a page it read stale
 * while the writer left no bit is a lost write.
 * <p>
 * Its teeth: {@link #BROKEN} is the fence-less fast path. {@code brokenFastPathIsCaught} proves the harness catches
 * it; running {@code productFastPathLosesNothing} with {@code -Dferry.markDirty=broken} swaps the broken variant
 * into the CI-sized test itself, which is how docs/reliability.md measured how often CI would catch a removed
 * fence.
 */
final class MarkFenceTest {
    private static final int SLOTS = 4096;
    private static final int LINE = 64;
    private static final long PAGES_PER_LINE_OF_WORDS = 8 * 64;
    private static final long CI_STEPS = 2_000_000;
    private static final long CI_MILLIS = 30_000;

    /** How the writer marks the page it just stored into. */
    interface Marker {
        void mark(DirtyBitmap bitmap, long page);
    }

    static final Marker PRODUCT = DirtyBitmap::markDirty;

    /** The deliberately broken fast path: no fence between the caller's page store and the load of the word. */
    static final Marker BROKEN = (bitmap, page) -> {
        final AtomicBuffer words = bitmap.words();
        final int offset = (int)(page >>> 6) << 3;
        final long mask = 1L << page;
        long word = words.getLong(offset);
        while ((word & mask) == 0) {
            if (words.compareAndSetLong(offset, word, word | mask)) {
                return;
            }
            word = words.getLongVolatile(offset);
        }
    };

    @Test
    @Timeout(120)
    void productFastPathLosesNothing() throws Exception {
        final Marker marker = "broken".equals(System.getProperty("ferry.markDirty")) ? BROKEN : PRODUCT;
        final Result result = run(marker, CI_STEPS, CI_MILLIS, false);
        assertEquals(0, result.lost, "writes lost in " + result.steps + " lockstep steps");
        assertTrue(result.steps >= CI_STEPS / 10, "too few lockstep steps to mean anything: " + result.steps);
    }

    @Test
    @Timeout(120)
    void brokenFastPathIsCaught() throws Exception {
        final Result result = run(BROKEN, Long.MAX_VALUE, 90_000, true);
        assertTrue(result.lost > 0, "the fence-less fast path lost no write in " + result.steps + " lockstep steps: " +
            "the harness has no teeth");
    }

    record Result(long steps, long lost) {
    }

    /** Runs lockstep steps until {@code maxSteps}, the deadline, or (if asked) the first lost write. */
    static Result run(final Marker marker, final long maxSteps, final long maxMillis, final boolean stopAtFirstLoss)
        throws Exception {
        final DirtyBitmap bitmap = new DirtyBitmap(SLOTS * PAGES_PER_LINE_OF_WORDS);
        final AtomicBuffer pages = new UnsafeBuffer(BufferUtil.allocateDirectAligned(SLOTS * LINE, LINE));
        for (int slot = 0; slot < SLOTS; slot++) {
            pages.putLong(slot * LINE, -1);
            bitmap.markDirtyWord(slot * 8, 1);
        }
        final AtomicLong writerDone = new AtomicLong(-1);
        final AtomicLong harvesterDone = new AtomicLong(-1);
        final AtomicLong lost = new AtomicLong();
        final long deadline = System.nanoTime() + maxMillis * 1_000_000;
        final AtomicLong stop = new AtomicLong(maxSteps);

        final Thread writer = new Thread(() -> {
            for (long step = 0; step < stop.get(); step++) {
                if (!await(harvesterDone, step - 1, stop, step)) {
                    return;
                }
                final int slot = (int)(step % SLOTS);
                pages.putLong(slot * LINE, step);
                marker.mark(bitmap, slot * PAGES_PER_LINE_OF_WORDS);
                writerDone.lazySet(step);
            }
        }, "mark-fence-writer");
        final Thread harvester = new Thread(() -> {
            final long[] seen = new long[SLOTS];
            for (long step = 0; step < stop.get(); step++) {
                if (!await(writerDone, step - 1, stop, step)) {
                    return;
                }
                if (step > 0) {
                    final int previous = (int)((step - 1) % SLOTS);
                    if (seen[previous] != step - 1 && bitmap.words().getLongVolatile(previous * LINE) == 0) {
                        lost.incrementAndGet();
                        if (stopAtFirstLoss) {
                            stop.set(step);
                        }
                    }
                    bitmap.words().putLongVolatile(previous * LINE, 1);
                }
                final int slot = (int)(step % SLOTS);
                bitmap.words().getAndSetLong(slot * LINE, 0);
                seen[slot] = pages.getLong(slot * LINE);
                harvesterDone.lazySet(step);
                if ((step & 0xFFFF) == 0 && System.nanoTime() > deadline) {
                    stop.set(step);
                }
            }
        }, "mark-fence-harvester");
        runBoth(writer, harvester);
        return new Result(Math.min(writerDone.get(), harvesterDone.get()) + 1, lost.get());
    }

    private static void runBoth(final Thread writer, final Thread harvester) throws InterruptedException {
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        writer.setUncaughtExceptionHandler((t, e) -> failure.set(e));
        harvester.setUncaughtExceptionHandler((t, e) -> failure.set(e));
        writer.start();
        harvester.start();
        writer.join();
        harvester.join();
        if (null != failure.get()) {
            throw new AssertionError(failure.get());
        }
    }

    /** Spins (yielding now and then: this machine has 2 cores) until {@code counter >= target} or the run stops. */
    private static boolean await(final AtomicLong counter, final long target, final AtomicLong stop, final long step) {
        int spins = 0;
        while (counter.get() < target) {
            if (step >= stop.get()) {
                return false;
            }
            if (++spins > 1_000) {
                Thread.yield();
                spins = 0;
            } else {
                Thread.onSpinWait();
            }
        }
        return true;
    }
}
