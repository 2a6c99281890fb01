package dev.ferry.memory;

import dev.ferry.memory.internal.MemoryFiles;
import org.agrona.BitUtil;
import org.agrona.BufferUtil;
import org.agrona.IoUtil;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Objects;

/**
 * A named, fixed-size region of guest memory, mapped off-heap in windows.
 * <p>
 * The region is split into windows of at most {@link #MAX_WINDOW_BYTES}, each one a {@link MappedByteBuffer}
 * (file-backed) or a direct {@link ByteBuffer} (anonymous) wrapped by an Agrona {@link UnsafeBuffer}. The window
 * size is a power of two and a multiple of the page size, and the block length is a whole number of pages, so a
 * page never straddles two windows and a page's window is {@code pageOffset >>> windowShift}.
 * <p>
 * <b>Anonymous blocks</b> are allocated with {@link ByteBuffer#allocateDirect(int)} and so count against the JVM's
 * direct-memory limit ({@code -XX:MaxDirectMemorySize}, by default the maximum heap size). An allocation past that
 * limit fails with a {@link MemoryException} that names the block, the size and the flag to raise, and the windows
 * already allocated are freed. {@link #close()} frees direct windows and unmaps file windows at once rather than
 * waiting for the garbage collector.
 * <p>
 * Each block owns the {@link DirtyBitmap} that writers of the guest mark after they store into a page. <p>
 * Thread safety: the mapping is fixed for the block's life; page contents are shared memory with no implied
 * ordering beyond what the writer and the dirty bitmap establish (see {@link DirtyBitmap}).
 */
public final class RamBlock implements AutoCloseable {
    /** The default page: 4 KiB. */
    public static final int DEFAULT_PAGE_SIZE = 4096;
    /** The smallest page accepted; keeps every window and block offset aligned to the OS page for mmap. */
    public static final int MIN_PAGE_SIZE = 4096;
    /** The largest page accepted: 2 MiB, a huge page. */
    public static final int MAX_PAGE_SIZE = 2 * 1024 * 1024;
    /** The largest window: 1 GiB, well below the 2 GiB limit of a {@link ByteBuffer}. */
    public static final int MAX_WINDOW_BYTES = 1 << 30;
    /** Longest block name, in UTF-8 bytes. */
    public static final int MAX_NAME_LENGTH = 255;

    private final int id;
    private final String name;
    private final long lengthBytes;
    private final int pageSizeBytes;
    private final int pageShift;
    private final long pageCount;
    private final int windowShift;
    private final UnsafeBuffer[] windows;
    private final ByteBuffer[] windowBuffers;
    private final Path path;
    private final FileChannel fileChannel;
    private final long fileOffset;
    private final DirtyBitmap dirtyBitmap;
    private final MappedFile owner;
    private final FileIdentity identity;
    private boolean closed;

    private RamBlock(
        final int id,
        final String name,
        final long lengthBytes,
        final int pageSizeBytes,
        final int windowBytes,
        final Path path,
        final FileChannel fileChannel,
        final long fileOffset,
        final MappedFile owner) {
        this.id = id;
        this.name = name;
        this.lengthBytes = lengthBytes;
        this.pageSizeBytes = pageSizeBytes;
        this.pageShift = Integer.numberOfTrailingZeros(pageSizeBytes);
        this.pageCount = lengthBytes >>> pageShift;
        this.windowShift = Integer.numberOfTrailingZeros(windowBytes);
        final int windowCount = (int)((lengthBytes + windowBytes - 1) >>> windowShift);
        this.windows = new UnsafeBuffer[windowCount];
        this.windowBuffers = new ByteBuffer[windowCount];
        this.path = path;
        this.fileChannel = fileChannel;
        this.fileOffset = fileOffset;
        this.owner = owner;
        this.identity = null == path ? null : FileIdentity.of(path);
        this.dirtyBitmap = new DirtyBitmap(pageCount);
    }

    /**
     * An anonymous block: direct off-heap memory, zero-filled, in windows of {@link #MAX_WINDOW_BYTES}.
     *
     * @throws MemoryException if an argument is invalid or the JVM's direct-memory limit is reached.
     */
    public static RamBlock anonymous(final int id, final String name, final long lengthBytes, final int pageSizeBytes) {
        return anonymous(id, name, lengthBytes, pageSizeBytes, MAX_WINDOW_BYTES);
    }

    /** As {@link #anonymous(int, String, long, int)} with a chosen window size (a power of two). */
    public static RamBlock anonymous(
        final int id, final String name, final long lengthBytes, final int pageSizeBytes, final int windowBytes) {
        validate(id, name, lengthBytes, pageSizeBytes, windowBytes);
        final long limit = DirectMemory.maxBytes();
        final long used = DirectMemory.usedBytes();
        if (lengthBytes > limit - used) {
            throw new MemoryException("anonymous block '" + name + "' of " + lengthBytes + " bytes exceeds the JVM's" +
                " direct-memory limit (" + limit + " bytes, " + used + " in use); raise -XX:MaxDirectMemorySize or" +
                " use a file-backed block");
        }
        final RamBlock block = new RamBlock(id, name, lengthBytes, pageSizeBytes, windowBytes, null, null, 0, null);
        try {
            for (int w = 0; w < block.windows.length; w++) {
                final ByteBuffer buffer = ByteBuffer.allocateDirect(block.windowLength(w)).order(ByteOrder.nativeOrder());
                block.windowBuffers[w] = buffer;
                block.windows[w] = new UnsafeBuffer(buffer);
            }
        } catch (final OutOfMemoryError ex) {
            block.close();
            throw new MemoryException("anonymous block '" + name + "' of " + lengthBytes + " bytes exceeds the JVM's" +
                " direct-memory limit; raise -XX:MaxDirectMemorySize or use a file-backed block (" + ex.getMessage() + ")");
        }
        return block;
    }

    /**
     * A block mapped from {@code lengthBytes} of an existing file starting at {@code fileOffset}. The file must
     * already be at least {@code fileOffset + lengthBytes} long (see {@link MemoryFiles#createReserved}).
     *
     * @throws MemoryException if an argument is invalid, the file is too short or cannot be mapped.
     */
    public static RamBlock mapFile(
        final int id, final String name, final Path path, final long fileOffset, final long lengthBytes,
        final int pageSizeBytes) {
        return mapFile(id, name, path, fileOffset, lengthBytes, pageSizeBytes, MAX_WINDOW_BYTES);
    }

    /** As {@link #mapFile(int, String, Path, long, long, int)} with a chosen window size (a power of two). */
    public static RamBlock mapFile(
        final int id, final String name, final Path path, final long fileOffset, final long lengthBytes,
        final int pageSizeBytes, final int windowBytes) {
        validate(id, name, lengthBytes, pageSizeBytes, windowBytes);
        if (fileOffset < 0 || (fileOffset & (pageSizeBytes - 1)) != 0) {
            throw new MemoryException("file offset " + fileOffset + " of block '" + name +
                "' is not a non-negative multiple of the page size " + pageSizeBytes);
        }
        MemoryFiles.requireRegularFile(path, "memory file");
        final FileChannel channel;
        try {
            channel = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
        } catch (final IOException ex) {
            throw new MemoryException("cannot open memory file " + path + ": " + ex.getMessage());
        }
        final RamBlock block = new RamBlock(id, name, lengthBytes, pageSizeBytes, windowBytes, path, channel, fileOffset, null);
        try {
            final long fileSize = channel.size();
            if (fileSize < fileOffset + lengthBytes) {
                throw new MemoryException("memory file " + path + " is " + fileSize + " bytes, block '" + name +
                    "' needs " + (fileOffset + lengthBytes));
            }
            for (int w = 0; w < block.windows.length; w++) {
                final long at = fileOffset + ((long)w << block.windowShift);
                final MappedByteBuffer buffer = channel.map(FileChannel.MapMode.READ_WRITE, at, block.windowLength(w));
                buffer.order(ByteOrder.nativeOrder());
                block.windowBuffers[w] = buffer;
                block.windows[w] = new UnsafeBuffer(buffer);
            }
        } catch (final IOException ex) {
            block.close();
            throw new MemoryException("cannot map memory file " + path + ": " + ex.getMessage());
        } catch (final RuntimeException ex) {
            block.close();
            throw ex;
        }
        return block;
    }

    /**
     * A block over {@code lengthBytes} of {@code owner}'s mapping from file offset {@code fileOffset}, in windows of
     * {@code windowBytes} sliced from it: it shares the owner's page tables, has a file channel of its own, and on
     * close leaves the unmapping to the owner.
     */
    static RamBlock view(
        final int id, final String name, final MappedFile owner, final long fileOffset, final long lengthBytes,
        final int pageSizeBytes, final int windowBytes) {
        validate(id, name, lengthBytes, pageSizeBytes, windowBytes);
        final FileChannel channel;
        try {
            channel = FileChannel.open(owner.path(), StandardOpenOption.READ, StandardOpenOption.WRITE,
                LinkOption.NOFOLLOW_LINKS);
        } catch (final IOException ex) {
            throw new MemoryException("cannot open memory file " + owner.path() + ": " + ex.getMessage());
        }
        final RamBlock block =
            new RamBlock(id, name, lengthBytes, pageSizeBytes, windowBytes, owner.path(), channel, fileOffset, owner);
        for (int w = 0; w < block.windows.length; w++) {
            final ByteBuffer buffer = owner.slice(fileOffset + ((long)w << block.windowShift), block.windowLength(w))
                .order(ByteOrder.nativeOrder());
            block.windowBuffers[w] = buffer;
            block.windows[w] = new UnsafeBuffer(buffer);
        }
        return block;
    }

    private static void validate(
        final int id, final String name, final long lengthBytes, final int pageSizeBytes, final int windowBytes) {
        Objects.requireNonNull(name, "name");
        if (id < 0 || id > GuestMemory.MAX_BLOCK_ID) {
            throw new MemoryException("block id " + id + " outside 0.." + GuestMemory.MAX_BLOCK_ID);
        }
        if (name.isEmpty() || name.getBytes(StandardCharsets.UTF_8).length > MAX_NAME_LENGTH) {
            throw new MemoryException("block name '" + name + "' must be 1.." + MAX_NAME_LENGTH + " UTF-8 bytes");
        }
        validatePageSize(pageSizeBytes);
        if (!BitUtil.isPowerOfTwo(windowBytes) || windowBytes < pageSizeBytes || windowBytes > MAX_WINDOW_BYTES) {
            throw new MemoryException("window size " + windowBytes + " must be a power of two between the page size " +
                pageSizeBytes + " and " + MAX_WINDOW_BYTES);
        }
        if (lengthBytes <= 0 || (lengthBytes & (pageSizeBytes - 1)) != 0) {
            throw new MemoryException("length " + lengthBytes + " of block '" + name +
                "' must be a positive multiple of the page size " + pageSizeBytes);
        }
    }

    /**
     * Checks a page size: a power of two from {@link #MIN_PAGE_SIZE} to {@link #MAX_PAGE_SIZE}.
     *
     * @throws MemoryException naming the value when it is not.
     */
    public static void validatePageSize(final int pageSizeBytes) {
        if (!BitUtil.isPowerOfTwo(pageSizeBytes) || pageSizeBytes < MIN_PAGE_SIZE || pageSizeBytes > MAX_PAGE_SIZE) {
            throw new MemoryException("page size " + pageSizeBytes + " must be a power of two from " + MIN_PAGE_SIZE +
                " to " + MAX_PAGE_SIZE);
        }
    }

    private int windowLength(final int window) {
        return (int)Math.min(1L << windowShift, lengthBytes - ((long)window << windowShift));
    }

    public int id() {
        return id;
    }

    public String name() {
        return name;
    }

    public long lengthBytes() {
        return lengthBytes;
    }

    public int pageSizeBytes() {
        return pageSizeBytes;
    }

    /** log2 of the page size. */
    public int pageShift() {
        return pageShift;
    }

    public long pageCount() {
        return pageCount;
    }

    /** The bitmap that writers of this block mark after each store into a page. */
    public DirtyBitmap dirtyBitmap() {
        return dirtyBitmap;
    }

    public int windowCount() {
        return windows.length;
    }

    /** log2 of the window size. */
    public int windowShift() {
        return windowShift;
    }

    /** The window that holds {@code page}. */
    public int windowOf(final long page) {
        return (int)((page << pageShift) >>> windowShift);
    }

    /** The byte offset of {@code page} inside its window. */
    public int offsetInWindow(final long page) {
        return (int)((page << pageShift) & ((1L << windowShift) - 1));
    }

    /** The buffer over window {@code window}; index it with {@link #offsetInWindow(long)}. */
    public UnsafeBuffer window(final int window) {
        return windows[window];
    }

    /** The buffer over the window holding {@code page}. */
    public UnsafeBuffer windowOfPage(final long page) {
        return windows[windowOf(page)];
    }

    /** The {@link ByteBuffer} behind window {@code window}; duplicate it before changing position or limit. */
    public ByteBuffer windowByteBuffer(final int window) {
        return windowBuffers[window];
    }

    /** True when the block is backed by a file whose channel {@link #fileChannel()} returns. */
    public boolean isFileBacked() {
        return null != fileChannel;
    }

    /** True when cut from a {@link MappedFile}: the block shares that mapping and the page tables it holds. */
    public boolean isView() {
        return null != owner;
    }

    /**
     * The backing file's device and inode, as they were when the block was mapped, or null for an anonymous block
     * (or where the file system does not say).
     */
    public FileIdentity fileIdentity() {
        return identity;
    }

    /** The backing file, or null for an anonymous block. */
    public Path path() {
        return path;
    }

    /** The backing file's channel for {@code transferTo}, or null for an anonymous block. */
    public FileChannel fileChannel() {
        return fileChannel;
    }

    /** The offset in the backing file of {@code page}. */
    public long fileOffsetOf(final long page) {
        return fileOffset + (page << pageShift);
    }

    /** Forces file-backed windows to storage (no-op for anonymous blocks). */
    public void force() {
        if (null != owner) { // slices of a mapping carry no file descriptor to force through: fsync the file instead
            try {
                fileChannel.force(false);
            } catch (final IOException ex) {
                throw new UncheckedIOException(ex);
            }
        } else if (null != fileChannel) {
            for (final ByteBuffer buffer : windowBuffers) {
                if (buffer instanceof MappedByteBuffer) {
                    ((MappedByteBuffer)buffer).force();
                }
            }
        }
    }

    /** Unmaps file windows, frees direct windows, closes the file. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (int w = 0; w < windowBuffers.length; w++) {
            final ByteBuffer buffer = windowBuffers[w];
            windowBuffers[w] = null;
            windows[w] = null;
            if (null != owner) {
                continue; // a view: its owner unmaps
            } else if (buffer instanceof MappedByteBuffer && null != fileChannel) {
                IoUtil.unmap((MappedByteBuffer)buffer);
            } else if (null != buffer) {
                BufferUtil.free(buffer);
            }
        }
        try {
            if (null != fileChannel) {
                fileChannel.close();
            }
        } catch (final IOException ex) {
            throw new UncheckedIOException(ex);
        } finally {
            if (null != owner) {
                owner.release(); // even if the channel would not close: the mapping must not outlive its views
            }
        }
    }

    @Override
    public String toString() {
        return "RamBlock{id=" + id + ", name='" + name + "', lengthBytes=" + lengthBytes + ", pageSizeBytes=" +
            pageSizeBytes + (null != path ? ", path=" + path : ", anonymous") + '}';
    }
}
