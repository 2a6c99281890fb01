package dev.ferry.memory;

import dev.ferry.memory.internal.MemoryFiles;
import org.agrona.IoUtil;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A whole file mapped once, in windows of {@link RamBlock#MAX_WINDOW_BYTES} from offset 0, from which blocks are cut
 * as views that share this mapping. What it is for: a destination whose memory is touched before the migration,
 * as a VMM started with preallocated RAM has it, must keep the mapping it touched. A fresh mapping of the same
 * file has the pages but not the page tables, and its receivers then take one write fault per 4 KiB page inside the
 * migration (measured: 0.6 s of a 2 s transfer of 2 GiB, and as much again to repopulate the page tables in bulk).
 * <p>
 * Unmapped when it is closed and every view cut from it is closed, whichever comes last. Views are cut by
 * {@link #block}; each window of a view must lie inside one window of the mapping, so a block at a file offset
 * that is not a multiple of {@link #MIN_VIEW_WINDOW_BYTES} is not cut but mapped afresh.
 */
public final class MappedFile implements AutoCloseable {
    /** Touchers look for a stop (an interrupt of the caller) once this many pages, less one. */
    private static final long STOP_CHECK_MASK = 255;

    /** The smallest window a view is cut in; a block whose offset is aligned less is mapped on its own. */
    public static final int MIN_VIEW_WINDOW_BYTES = 1 << 20;

    private final Path path;
    private final long lengthBytes;
    private final MappedByteBuffer[] windows;
    private int views;
    private boolean closed;
    private boolean unmapped;

    private MappedFile(final Path path, final long lengthBytes, final MappedByteBuffer[] windows) {
        this.path = path;
        this.lengthBytes = lengthBytes;
        this.windows = windows;
    }

    /**
     * Maps the first {@code lengthBytes} of the existing file {@code path}, read-write and shared.
     *
     * @throws MemoryException if the file is shorter or cannot be mapped.
     */
    public static MappedFile map(final Path path, final long lengthBytes) {
        final int count = (int)((lengthBytes + RamBlock.MAX_WINDOW_BYTES - 1) / RamBlock.MAX_WINDOW_BYTES);
        final MappedByteBuffer[] windows = new MappedByteBuffer[count];
        MemoryFiles.requireRegularFile(path, "memory file");
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE,
            LinkOption.NOFOLLOW_LINKS)) {
            if (channel.size() < lengthBytes) {
                throw new MemoryException("memory file " + path + " is " + channel.size() + " bytes, " +
                    lengthBytes + " needed");
            }
            for (int w = 0; w < count; w++) {
                final long at = (long)w * RamBlock.MAX_WINDOW_BYTES;
                windows[w] = channel.map(FileChannel.MapMode.READ_WRITE, at, Math.min(RamBlock.MAX_WINDOW_BYTES,
                    lengthBytes - at));
            }
        } catch (final IOException ex) {
            unmap(windows);
            throw new MemoryException("cannot map memory file " + path + ": " + ex.getMessage());
        } catch (final RuntimeException ex) {
            unmap(windows);
            throw ex;
        }
        return new MappedFile(path, lengthBytes, windows);
    }

    public Path path() {
        return path;
    }

    public long lengthBytes() {
        return lengthBytes;
    }

    /**
     * Writes a zero into every {@code pageBytes} page with {@code threads} threads, so that every page is allocated
     * and mapped here before a migration needs it.
     *
     * @throws MemoryException if the file system runs out of space while touching (the JVM reports a failed store
     *                         through a mapping as an {@link InternalError}), or the caller is interrupted (it
     *                         returns only once every toucher has stopped, so the file may be unmapped at once).
     */
    public void touchEveryPage(final int pageBytes, final int threads) {
        final long pages = lengthBytes / pageBytes;
        final int workers = (int)Math.max(1, Math.min(threads, pages));
        final List<Thread> touching = new ArrayList<>();
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        final AtomicBoolean stop = new AtomicBoolean();
        for (int t = 0; t < workers; t++) {
            final long first = pages * t / workers;
            final long end = pages * (t + 1) / workers;
            final Thread thread = new Thread(() -> {
                try {
                    for (long page = first; page < end; page++) {
                        if ((page & STOP_CHECK_MASK) == 0 && stop.get()) {
                            return;
                        }
                        final long at = page * pageBytes;
                        windows[(int)(at / RamBlock.MAX_WINDOW_BYTES)].put((int)(at % RamBlock.MAX_WINDOW_BYTES),
                            (byte)0);
                    }
                } catch (final Throwable ex) {
                    failure.compareAndSet(null, ex);
                }
            }, "ferry-prefault-" + t);
            touching.add(thread);
            thread.start();
        }
        boolean interrupted = false;
        for (final Thread thread : touching) {
            // Every toucher is joined, interrupted or not: the caller may unmap this file as soon as this returns,
            // and a toucher still writing into an unmapped window would crash the JVM.
            while (thread.isAlive()) {
                try {
                    thread.join();
                } catch (final InterruptedException ex) {
                    interrupted = true;
                    stop.set(true);
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
            throw new MemoryException("interrupted while touching the pages of " + path);
        }
        if (null != failure.get()) {
            throw new MemoryException("touching every page of " + path + " failed (out of space?): " +
                failure.get(), failure.get());
        }
    }

    /**
     * Block {@code id} over {@code lengthBytes} from file offset {@code fileOffset}: a view of this mapping when the
     * offset is a multiple of {@link #MIN_VIEW_WINDOW_BYTES}, else a mapping of its own (correct, but without the
     * page tables this mapping has).
     *
     * @throws MemoryException if the range is outside the file, the arguments are invalid, or this is closed.
     */
    public synchronized RamBlock block(
        final int id, final String name, final long fileOffset, final long lengthBytes, final int pageSizeBytes) {
        if (closed) {
            throw new MemoryException("mapping of " + path + " is closed");
        }
        if (fileOffset < 0 || lengthBytes > this.lengthBytes - fileOffset) {
            throw new MemoryException("block '" + name + "' at " + fileOffset + " of " + lengthBytes + " bytes lies " +
                "outside " + path + " of " + this.lengthBytes + " bytes");
        }
        final long alignment = 0 == fileOffset ? RamBlock.MAX_WINDOW_BYTES :
            Math.min(Long.lowestOneBit(fileOffset), RamBlock.MAX_WINDOW_BYTES);
        if (alignment < MIN_VIEW_WINDOW_BYTES || alignment < pageSizeBytes) {
            return RamBlock.mapFile(id, name, path, fileOffset, lengthBytes, pageSizeBytes);
        }
        final RamBlock view = RamBlock.view(id, name, this, fileOffset, lengthBytes, pageSizeBytes, (int)alignment);
        views++;
        return view;
    }

    /** {@code length} bytes from file offset {@code at}, which must lie inside one window of the mapping. */
    ByteBuffer slice(final long at, final int length) {
        return windows[(int)(at / RamBlock.MAX_WINDOW_BYTES)].slice((int)(at % RamBlock.MAX_WINDOW_BYTES), length);
    }

    /** A view cut by {@link #block} was closed. */
    synchronized void release() {
        views--;
        unmapIfDone();
    }

    /** Unmaps now if no view is open, else when the last one closes. Idempotent. */
    @Override
    public synchronized void close() {
        closed = true;
        unmapIfDone();
    }

    private void unmapIfDone() {
        if (closed && 0 == views && !unmapped) {
            unmapped = true;
            unmap(windows);
        }
    }

    private static void unmap(final ByteBuffer[] windows) {
        for (int w = 0; w < windows.length; w++) {
            if (windows[w] instanceof MappedByteBuffer) {
                IoUtil.unmap((MappedByteBuffer)windows[w]);
            }
            windows[w] = null;
        }
    }
}
