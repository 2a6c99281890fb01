package dev.ferry.memory.internal;

import dev.ferry.memory.GuestMemory;
import dev.ferry.memory.MemoryException;
import dev.ferry.memory.RamBlock;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.zip.CRC32C;

/**
 * Digests of whole guests for verification: a CRC32C per fixed-size chunk of every block, so a mismatch is located
 * (block and offset), not only detected, and so the work splits across threads. CRC32C is a JIT intrinsic.
 */
public final class Digests {
    /** Default chunk: 1 MiB, 1024 digests per GiB of guest. */
    public static final int DEFAULT_CHUNK_BYTES = 1 << 20;

    private Digests() {
    }

    /** A worker reading memory must be gone before the caller may unmap it: wait without giving up. */
    private static void awaitWorkers(final ExecutorService pool) {
        boolean interrupted = false;
        while (true) {
            try {
                if (pool.awaitTermination(1, TimeUnit.SECONDS)) {
                    break;
                }
            } catch (final InterruptedException ex) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** The number of chunks of {@code chunkBytes} that cover {@code block}. */
    public static int chunkCount(final RamBlock block, final int chunkBytes) {
        return (int)((block.lengthBytes() + chunkBytes - 1) / chunkBytes);
    }

    /** The CRC32C of {@code length} bytes of {@code block} from {@code from}, read through the mapping. */
    private static int data(final CRC32C crc, final RamBlock block, final long from, final long length) {
        crc.reset();
        Pages.update(crc, block, from, length);
        return (int)crc.getValue();
    }

    /** CRC32C of chunk {@code chunk} of {@code block}. */
    public static int chunk(final RamBlock block, final int chunkBytes, final int chunk) {
        final CRC32C crc = new CRC32C();
        final long from = (long)chunk * chunkBytes;
        Pages.update(crc, block, from, Math.min(chunkBytes, block.lengthBytes() - from));
        return (int)crc.getValue();
    }

    /**
     * CRC32C of chunk {@code chunk} of a tmpfs-backed {@code block} whose non-resident pages are holes
     * ({@link FileExtents#residencyIsExact}): one {@code mincore} per window the chunk spans into {@code residency},
     * then resident runs read from the mapping and the rest taken as zeros ({@link Crc32c}). Reads the whole chunk
     * when the kernel does not answer.
     */
    static int chunk(final RamBlock block, final int chunkBytes, final int chunk, final UnsafeBuffer residency) {
        final long from = (long)chunk * chunkBytes;
        final long end = Math.min(from + chunkBytes, block.lengthBytes());
        final int granule = FileExtents.RESIDENCY_PAGE;
        final long windowMask = (1L << block.windowShift()) - 1;
        for (long at = from; at < end; ) {
            final int window = (int)(at >>> block.windowShift());
            final long offset = at & windowMask;
            final long length = Math.min(end - at, block.window(window).capacity() - offset);
            final long address = block.window(window).addressOffset() + offset;
            if ((address & (granule - 1)) != 0 || length % granule != 0 || residency.capacity() * (long)granule <
                end - from || !FileExtents.residency(address, length, residency.addressOffset() + (at - from) / granule)) {
                return chunk(block, chunkBytes, chunk);
            }
            at += length;
        }
        final CRC32C crc = new CRC32C();
        final int granules = (int)((end - from) / granule);
        int value = 0; // the CRC32C of nothing
        for (int i = 0; i < granules; ) {
            final boolean resident = (residency.getByte(i) & 1) != 0;
            int j = i + 1;
            while (j < granules && ((residency.getByte(j) & 1) != 0) == resident) {
                j++;
            }
            final long start = from + (long)i * granule;
            final long length = (long)(j - i) * granule;
            value = resident ? Crc32c.combine(value, data(crc, block, start, length), length) :
                Crc32c.extend(value, length);
            i = j;
        }
        return value;
    }

    /**
     * CRC32C of chunk {@code chunk} of a file-backed {@code block}, reading only what {@code extents} reports as
     * data and taking the holes as zeros ({@link Crc32c}: a hole costs no bytes).
     */
    static int chunk(final RamBlock block, final int chunkBytes, final int chunk, final FileExtents.Cursor extents) {
        final long from = (long)chunk * chunkBytes;
        final long end = Math.min(from + chunkBytes, block.lengthBytes());
        final CRC32C crc = new CRC32C();
        int value = 0; // the CRC32C of nothing
        long at = from;
        while (at < end) {
            final long data = Math.min(end, extents.dataAtOrAfter(at));
            value = Crc32c.extend(value, data - at);
            at = data;
            if (data < end) {
                at = Math.min(end, extents.dataEndAfter(data));
                value = Crc32c.combine(value, data(crc, block, data, at - data), at - data);
            }
        }
        return value;
    }

    /**
     * Per-chunk digests of every block of {@code memory}, in block order, computed by {@code threads} threads
     * (chunks dealt round robin so each thread streams through memory).
     */
    public static List<int[]> of(final GuestMemory memory, final int chunkBytes, final int threads) {
        return of(memory, chunkBytes, threads, () -> false);
    }

    /**
     * As {@link #of(GuestMemory, int, int)}, checking {@code stop} before every chunk. Returns only when every
     * worker has finished, so the memory may be unmapped as soon as it returns or throws.
     *
     * @throws MemoryException if stopped or a worker failed.
     */
    public static List<int[]> of(
        final GuestMemory memory, final int chunkBytes, final int threads, final BooleanSupplier stop) {
        return of(memory, chunkBytes, threads, stop, runnable -> {
            final Thread thread = new Thread(runnable);
            thread.setDaemon(true);
            return thread;
        });
    }

    /** As {@link #of(GuestMemory, int, int, BooleanSupplier)}, with worker threads made by {@code threadFactory}. */
    public static List<int[]> of(
        final GuestMemory memory, final int chunkBytes, final int threads, final BooleanSupplier stop,
        final ThreadFactory threadFactory) {
        return of(memory, chunkBytes, threads, stop, threadFactory, false);
    }

    /**
     * As {@link #of(GuestMemory, int, int, BooleanSupplier, ThreadFactory)}; with {@code skipHoles}, what the file
     * system reports as hole in a file-backed block ({@link FileExtents}) is digested as the zeros it reads as,
     * without touching the mapping: no page of it is faulted in (allocated and cleared) just to be read. Data is
     * always read through the mapping, page by page as it is now.
     */
    public static List<int[]> of(
        final GuestMemory memory, final int chunkBytes, final int threads, final BooleanSupplier stop,
        final ThreadFactory threadFactory, final boolean skipHoles) {
        return of(memory, chunkBytes, threads, stop, threadFactory, skipHoles, true);
    }

    /**
     * As {@link #of(GuestMemory, int, int, BooleanSupplier, ThreadFactory, boolean)}; {@code useResidency} false
     * asks {@code lseek} even where {@code mincore} would do (the tests and {@code DigestHolesBenchmark} measure
     * both ways).
     */
    public static List<int[]> of(
        final GuestMemory memory, final int chunkBytes, final int threads, final BooleanSupplier stop,
        final ThreadFactory threadFactory, final boolean skipHoles, final boolean useResidency) {
        final boolean[] residencyIsExact = new boolean[memory.blocks().size()];
        for (int b = 0; skipHoles && b < residencyIsExact.length; b++) {
            final RamBlock block = memory.blocks().get(b);
            residencyIsExact[b] = useResidency && block.isFileBacked() && FileExtents.residencyIsExact(block.path());
        }
        final List<int[]> result = new ArrayList<>();
        for (final RamBlock block : memory.blocks()) {
            result.add(new int[chunkCount(block, chunkBytes)]);
        }
        final int workers = Math.max(1, threads);
        final ExecutorService pool = Executors.newFixedThreadPool(workers, runnable -> {
            final Thread thread = threadFactory.newThread(runnable);
            thread.setName("ferry-digest");
            return thread;
        });
        try {
            final List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < workers; t++) {
                final int worker = t;
                futures.add(pool.submit(() -> {
                    final UnsafeBuffer residency = new UnsafeBuffer(ByteBuffer.allocateDirect(
                        Math.max(1, chunkBytes / FileExtents.RESIDENCY_PAGE)));
                    for (int b = 0; b < result.size(); b++) {
                        final RamBlock block = memory.blocks().get(b);
                        try (FileExtents.Cursor extents = skipHoles && block.isFileBacked() && !residencyIsExact[b] ?
                            FileExtents.cursor(block.path(), block.fileOffsetOf(0), block.lengthBytes()) : null) {
                            final int[] digests = result.get(b);
                            for (int c = worker; c < digests.length; c += workers) {
                                if (stop.getAsBoolean()) {
                                    throw new MemoryException("digest stopped");
                                }
                                digests[c] = residencyIsExact[b] ? chunk(block, chunkBytes, c, residency) :
                                    null == extents ? chunk(block, chunkBytes, c) :
                                    chunk(block, chunkBytes, c, extents);
                            }
                        }
                    }
                }));
            }
            for (final Future<?> future : futures) {
                future.get();
            }
        } catch (final InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new MemoryException("interrupted while digesting guest memory", ex);
        } catch (final ExecutionException ex) {
            throw new MemoryException("digesting guest memory failed: " + ex.getCause(), ex.getCause());
        } finally {
            pool.shutdownNow();
            awaitWorkers(pool);
        }
        return result;
    }
}
