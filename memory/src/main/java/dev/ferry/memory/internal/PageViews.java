package dev.ferry.memory.internal;

import dev.ferry.memory.GuestMemory;
import dev.ferry.memory.RamBlock;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Zero-copy {@link ByteBuffer} views of pages of one {@link GuestMemory}, for gathering writes and scattering
 * reads straight from and into the mapping.
 * <p>
 * A gathering write needs a distinct buffer object per page in its array, each with its own position and limit.
 * A {@code PageViews} keeps, per block, per window and per slot, one duplicate of the window's buffer, created the
 * first time that (block, window, slot) is used and reused ever after: once warm, {@link #page} allocates nothing.
 * <p>
 * Not thread-safe: one instance per thread (a channel sender or receiver). A view stays valid until the same slot
 * is asked for again.
 */
public final class PageViews {
    private final RamBlock[] blocksById;
    private final ByteBuffer[][][] views;
    private final int slots;

    /** Views over {@code memory} with {@code slots} buffers live at once (e.g. the pages of one packet). */
    public PageViews(final GuestMemory memory, final int slots) {
        int maxId = -1;
        for (final RamBlock block : memory.blocks()) {
            maxId = Math.max(maxId, block.id());
        }
        this.blocksById = new RamBlock[maxId + 1];
        for (final RamBlock block : memory.blocks()) {
            blocksById[block.id()] = block;
        }
        this.slots = slots;
        this.views = new ByteBuffer[blocksById.length][][];
        for (int b = 0; b < blocksById.length; b++) {
            if (null != blocksById[b]) {
                views[b] = new ByteBuffer[blocksById[b].windowCount()][];
            }
        }
    }

    /** A view of exactly page {@code page} of block {@code blockId}, held in {@code slot}. */
    public ByteBuffer page(final int blockId, final long page, final int slot) {
        final RamBlock block = blocksById[blockId];
        return range(block, block.windowOf(page), block.offsetInWindow(page), block.pageSizeBytes(), slot);
    }

    /**
     * A view of {@code pageCount} consecutive pages from {@code firstPage} of block {@code blockId}; the run must
     * lie inside one window.
     */
    public ByteBuffer pages(final int blockId, final long firstPage, final int pageCount, final int slot) {
        final RamBlock block = blocksById[blockId];
        final int window = block.windowOf(firstPage);
        if (block.windowOf(firstPage + pageCount - 1) != window) {
            throw new IllegalArgumentException("pages " + firstPage + "+" + pageCount + " cross a window edge");
        }
        return range(block, window, block.offsetInWindow(firstPage), pageCount << block.pageShift(), slot);
    }

    /**
     * Puts into {@code iov}, from index {@code first}, views of the {@code count} pages of block {@code blockId}
     * listed in {@code pages}: one view per run of consecutive pages inside one window, so that a gathering write or
     * a scattering read handles a few large buffers instead of one per page. Each view is held in the slot of its
     * index in {@code iov}. Returns the index after the last view. Allocates nothing once warm.
     */
    public int runs(final int blockId, final long[] pages, final int count, final ByteBuffer[] iov, final int first) {
        return runs(blockId, pages, 0, count, iov, first);
    }

    /** As {@link #runs(int, long[], int, ByteBuffer[], int)}, for the {@code count} pages from {@code pages[from]}. */
    public int runs(final int blockId, final long[] pages, final int from, final int count, final ByteBuffer[] iov,
        final int first) {
        final RamBlock block = blocksById[blockId];
        int next = first;
        int i = from;
        final int end = from + count;
        while (i < end) {
            final long start = pages[i];
            final int window = block.windowOf(start);
            int run = 1;
            while (i + run < end && pages[i + run] == start + run && block.windowOf(start + run) == window) {
                run++;
            }
            iov[next] = range(block, window, block.offsetInWindow(start), run << block.pageShift(), next);
            next++;
            i += run;
        }
        return next;
    }

    private ByteBuffer range(final RamBlock block, final int window, final int offset, final int length, final int slot) {
        ByteBuffer[] windowViews = views[block.id()][window];
        if (null == windowViews) {
            windowViews = new ByteBuffer[slots];
            views[block.id()][window] = windowViews;
        }
        ByteBuffer view = windowViews[slot];
        if (null == view) {
            view = block.windowByteBuffer(window).duplicate().order(ByteOrder.nativeOrder());
            windowViews[slot] = view;
        }
        view.limit(offset + length).position(offset);
        return view;
    }
}
