package dev.ferry.memory.internal;

import dev.ferry.memory.DirtyBitmap;
import dev.ferry.memory.RamBlock;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.SystemNanoClock;
import org.agrona.concurrent.UnsafeBuffer;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.StampedLock;

/**
 * A synthetic guest: writer threads dirtying a hot set of one block at a target rate, deterministic from a seed.
 * <p>
 * Each write stamps its page with the page index and a per-page version counter at {@link #PAGE_INDEX_OFFSET} and
 * {@link #VERSION_OFFSET}, and the version again in the page's last 8 bytes (a copy of the page taken
 * mid-write shows two different versions; see {@link #consistentVersionOf}), then marks the page dirty:
 * store first, mark second, the order {@link DirtyBitmap} relies on. Writer
 * {@code w} of {@code W} owns the hot pages whose hot-set index is {@code w mod W}, so each page has one writer and
 * its versions only grow: a receiver that ever holds a smaller version than before has applied a stale copy.
 * <p>
 * {@link #pause()} returns only when no writer is mid-write (writers take a shared {@link StampedLock} read lock
 * per batch of writes; pause takes the write lock and keeps it until {@link #resume()}, from any thread).
 * {@link #throttle(int)} makes writers sleep that share of each 10 ms slice (auto-converge).
 */
public final class Workload implements AutoCloseable {
    /** Offset in a page of the page index stamp. */
    public static final int PAGE_INDEX_OFFSET = 0;
    /** Offset in a page of the version stamp. */
    public static final int VERSION_OFFSET = 8;
    /** Offset from the end of a page of the second copy of the version, written after the first. */
    public static final int TRAILER_FROM_END = 8;
    private static final int BATCH = 64;

    private final RamBlock block;
    private final long hotSetFirstPage;
    private final long hotSetPages;
    private final int writerCount;
    private final double pagesPerSecond;
    private final long seed;
    private final NanoClock clock;
    private final AtomicLongArray versions;
    private final StampedLock pauseLock = new StampedLock();
    private final List<Thread> threads = new ArrayList<>();
    private final List<Pacer> pacers = new ArrayList<>();
    private final AtomicLongArray writesByWriter;
    private long pauseStamp;
    private long startedAtNs;
    private long throttledAtNs;
    private long writesBeforeThrottle;
    private int throttlePercent;
    private volatile boolean running;

    /**
     * A workload over {@code hotSetPages} pages of {@code block} from {@code hotSetFirstPage}, {@code writers}
     * threads sharing {@code pagesPerSecond} (0 = idle: no thread writes).
     */
    public Workload(
        final RamBlock block, final long hotSetFirstPage, final long hotSetPages, final int writers,
        final double pagesPerSecond, final long seed) {
        this(block, hotSetFirstPage, hotSetPages, writers, pagesPerSecond, seed, SystemNanoClock.INSTANCE);
    }

    Workload(
        final RamBlock block, final long hotSetFirstPage, final long hotSetPages, final int writers,
        final double pagesPerSecond, final long seed, final NanoClock clock) {
        if (hotSetPages <= 0 || hotSetFirstPage < 0 || hotSetFirstPage + hotSetPages > block.pageCount()) {
            throw new IllegalArgumentException("hot set of " + hotSetPages + " pages from page " + hotSetFirstPage +
                " does not fit block '" + block.name() + "' of " + block.pageCount() + " pages");
        }
        if (writers <= 0 || writers > hotSetPages) {
            throw new IllegalArgumentException("writers " + writers + " must be 1.." + hotSetPages);
        }
        if (hotSetPages > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("hot set of " + hotSetPages + " pages is too large");
        }
        this.block = block;
        this.hotSetFirstPage = hotSetFirstPage;
        this.hotSetPages = hotSetPages;
        this.writerCount = writers;
        this.pagesPerSecond = pagesPerSecond;
        this.seed = seed;
        this.clock = clock;
        this.versions = new AtomicLongArray((int)hotSetPages);
        this.writesByWriter = new AtomicLongArray(writers * 16);
    }

    /** Stamps every hot page with version 0 (so a receiver sees a stamp even before the first write). */
    public Workload stampInitial() {
        for (long i = 0; i < hotSetPages; i++) {
            stamp(hotSetFirstPage + i, 0);
        }
        return this;
    }

    /** Starts the writer threads (none when the rate is 0). */
    public synchronized Workload start() {
        if (running) {
            return this;
        }
        running = true;
        if (pagesPerSecond == 0) {
            return this;
        }
        final long startNs = clock.nanoTime();
        startedAtNs = startNs;
        for (int w = 0; w < writerCount; w++) {
            final Pacer pacer = new Pacer(pagesPerSecond / writerCount, startNs);
            pacers.add(pacer);
            final int writer = w;
            final Thread thread = new Thread(() -> runWriter(writer, pacer), "ferry-workload-" + w);
            thread.setDaemon(true);
            threads.add(thread);
            thread.start();
        }
        return this;
    }

    private void runWriter(final int writer, final Pacer pacer) {
        final SplittableRandom random = new SplittableRandom(seed * 31 + writer);
        final long owned = (hotSetPages - writer + writerCount - 1) / writerCount;
        try {
            while (running) {
                final long nowNs = clock.nanoTime();
                final long sleepNs = pacer.throttleSleepNs(nowNs);
                if (sleepNs > 0) {
                    LockSupport.parkNanos(sleepNs);
                    pacer.forgive(clock.nanoTime());
                    continue;
                }
                final int permits = pacer.acquire(nowNs, BATCH);
                if (permits == 0) {
                    LockSupport.parkNanos(Math.min(pacer.nanosUntilNext(nowNs), Pacer.THROTTLE_SLICE_NS));
                    continue;
                }
                final long lockStamp = pauseLock.readLockInterruptibly();
                try {
                    if (!running) {
                        return;
                    }
                    for (int i = 0; i < permits; i++) {
                        final long hotIndex = writer + random.nextLong(owned) * writerCount;
                        write(hotIndex);
                    }
                } finally {
                    pauseLock.unlockRead(lockStamp);
                }
                writesByWriter.lazySet(writer * 16, writesByWriter.get(writer * 16) + permits);
            }
        } catch (final InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
    }

    private void write(final long hotIndex) {
        final int index = (int)hotIndex;
        final long version = versions.get(index) + 1;
        versions.lazySet(index, version);
        final long page = hotSetFirstPage + hotIndex;
        stamp(page, version);
        block.dirtyBitmap().markDirty(page);
    }

    private void stamp(final long page, final long version) {
        final UnsafeBuffer window = block.windowOfPage(page);
        final int offset = block.offsetInWindow(page);
        window.putLong(offset + PAGE_INDEX_OFFSET, page);
        window.putLongVolatile(offset + VERSION_OFFSET, version);
        window.putLongVolatile(offset + block.pageSizeBytes() - TRAILER_FROM_END, version);
    }

    /** The version stamped in {@code page} of {@code block} (what a receiver holds). */
    public static long versionOf(final RamBlock block, final long page) {
        return block.windowOfPage(page).getLongVolatile(block.offsetInWindow(page) + VERSION_OFFSET);
    }

    /**
     * The version in {@code page} of {@code block} if both copies agree, else -1: a copy taken while a writer was
     * mid-write (first copy new, trailer old) tells nothing about order.
     */
    public static long consistentVersionOf(final RamBlock block, final long page) {
        final UnsafeBuffer window = block.windowOfPage(page);
        final int offset = block.offsetInWindow(page);
        final long version = window.getLongVolatile(offset + VERSION_OFFSET);
        final long trailer = window.getLongVolatile(offset + block.pageSizeBytes() - TRAILER_FROM_END);
        return version == trailer ? version : -1;
    }

    /** The last version written to hot page {@code page} (absolute page index). */
    public long lastVersion(final long page) {
        return versions.get((int)(page - hotSetFirstPage));
    }

    /** Blocks new writes and returns once no writer is mid-write. Idempotent. */
    public synchronized void pause() {
        if (pauseStamp == 0) {
            pauseStamp = pauseLock.writeLock();
        }
    }

    /** Lets writers go on after {@link #pause()}. Idempotent; may be called from any thread. */
    public synchronized void resume() {
        if (pauseStamp != 0) {
            pauseLock.unlockWrite(pauseStamp);
            pauseStamp = 0;
        }
    }

    public synchronized boolean isPaused() {
        return pauseStamp != 0;
    }

    /**
     * Writers sleep {@code percent} (0..99) of each 10 ms slice and do not make up for it afterwards, as throttled
     * vCPUs do not: the rate falls to (100 - percent)% of the target.
     */
    public synchronized void throttle(final int percent) {
        if (percent < 0 || percent > 99) {
            throw new IllegalArgumentException("throttle " + percent + "% must be 0..99");
        }
        if (percent > 0 && throttledAtNs == 0) {
            throttledAtNs = clock.nanoTime();
            writesBeforeThrottle = writes();
        }
        for (final Pacer pacer : pacers) {
            pacer.throttlePercent(percent);
        }
        throttlePercent = percent;
    }

    /** The throttle in force, percent. */
    public synchronized int throttlePercent() {
        return throttlePercent;
    }

    /**
     * Page writes per second from {@link #start()} until the first throttle (or until now if never throttled); -1
     * when it never ran.
     */
    public synchronized long unthrottledWritesPerSecond() {
        if (startedAtNs == 0 || pagesPerSecond == 0) {
            return -1;
        }
        final boolean throttled = throttledAtNs != 0;
        final long endNs = throttled ? throttledAtNs : clock.nanoTime();
        final long count = throttled ? writesBeforeThrottle : writes();
        return (long)(count * 1e9 / Math.max(1, endNs - startedAtNs));
    }

    /** Page writes done so far. */
    public long writes() {
        long total = 0;
        for (int w = 0; w < writerCount; w++) {
            total += writesByWriter.get(w * 16);
        }
        return total;
    }

    /**
     * Stops and joins the writers. A paused workload writes nothing more: writers waiting for the pause to end are
     * interrupted, and the pause is released only after they have gone, so the memory keeps the paused state.
     */
    @Override
    public void close() {
        running = false;
        for (final Thread thread : threads) {
            thread.interrupt();
        }
        for (final Thread thread : threads) {
            try {
                thread.join(TimeUnit.SECONDS.toMillis(10));
            } catch (final InterruptedException ex) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        resume();
    }
}
