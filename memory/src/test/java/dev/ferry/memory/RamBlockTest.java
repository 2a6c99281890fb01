package dev.ferry.memory;

import dev.ferry.memory.internal.MemoryFiles;
import dev.ferry.memory.internal.PageViews;
import dev.ferry.memory.internal.Pages;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(60)
final class RamBlockTest {
    private static final int PAGE = 4096;

    @TempDir
    Path dir;

    @Test
    void fiveGibSparseFileBlockAcrossWindowEdges() throws IOException {
        final long length = 5L << 30;
        final Path file = dir.resolve("big.ram");
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(length);
        }
        try (RamBlock block = RamBlock.mapFile(0, "pc.ram", file, 0, length, PAGE)) {
            assertEquals(5, block.windowCount());
            assertEquals(length / PAGE, block.pageCount());
            final long windowPages = (1L << 30) / PAGE;
            final long[] pages = {
                0, 1, windowPages - 1, windowPages, 2 * windowPages + 7, block.pageCount() / 2,
                4 * windowPages - 1, 4 * windowPages, block.pageCount() - 1};
            for (final long page : pages) {
                block.windowOfPage(page).putLong(block.offsetInWindow(page), page * 31 + 7);
                block.windowOfPage(page).putLong(block.offsetInWindow(page) + PAGE - 8, ~page);
            }
            assertEquals(1, block.windowOf(windowPages));
            assertEquals(0, block.offsetInWindow(windowPages));
            assertEquals(4, block.windowOf(block.pageCount() - 1));
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
                for (final long page : pages) {
                    final ByteBuffer read = ByteBuffer.allocate(PAGE).order(ByteOrder.nativeOrder());
                    channel.read(read, page * PAGE);
                    assertEquals(page * 31 + 7, read.getLong(0), "page " + page + " not written through");
                    assertEquals(~page, read.getLong(PAGE - 8), "page " + page + " tail not written through");
                }
            }
            assertTrue(block.isFileBacked());
            assertEquals(block.pageCount() / 2 * PAGE, block.fileOffsetOf(block.pageCount() / 2));
        }
    }

    @Test
    void runsOfConsecutivePagesBecomeOneViewEachAndNeverCrossAWindow() {
        final int window = 1 << 20;
        final long edge = window / PAGE;
        try (GuestMemory memory = new GuestMemory(List.of(
            RamBlock.anonymous(5, "ram", 4L << 20, PAGE, window)))) {
            final PageViews views = new PageViews(memory, 8);
            final ByteBuffer[] iov = new ByteBuffer[8];
            final long[] pages = {10, 11, 12, 20, edge - 2, edge - 1, edge, edge + 1};
            assertEquals(5, views.runs(5, pages, pages.length, iov, 1), "4 runs from slot 1: 10-12, 20, two at the edge");
            assertEquals(3 * PAGE, iov[1].remaining());
            assertEquals(10 * PAGE, iov[1].position());
            assertEquals(PAGE, iov[2].remaining());
            assertEquals(2 * PAGE, iov[3].remaining(), "the run stops at the window's end");
            assertEquals((int)(edge - 2) * PAGE, iov[3].position());
            assertEquals(2 * PAGE, iov[4].remaining(), "and starts again in the next window");
            assertEquals(0, iov[4].position());
            assertEquals(1, views.runs(5, pages, 0, iov, 1), "no pages, no views");
        }
    }

    @Test
    void viewsWriteThroughToTheFileAndAllocateNothingOnceWarm() throws IOException {
        final Path file = dir.resolve("small.ram");
        final long length = 8L << 20;
        MemoryFiles.createReserved(file, length);
        final int window = 1 << 20;
        try (GuestMemory memory = new GuestMemory(List.of(RamBlock.mapFile(3, "ram", file, 0, length, PAGE, window)))) {
            final RamBlock block = memory.block(3);
            assertEquals(8, block.windowCount());
            final PageViews views = new PageViews(memory, 4);
            final long edge = window / PAGE;
            final ByteBuffer before = views.page(3, edge - 1, 0);
            final ByteBuffer after = views.page(3, edge, 1);
            assertEquals(PAGE, before.remaining());
            before.putLong(before.position(), 0x1122334455667788L);
            after.putLong(after.position() + PAGE - 8, 0x0102030405060708L);
            assertSame(before, views.page(3, edge - 1, 0), "a warm slot must reuse its view");
            final ByteBuffer run = views.pages(3, 0, 4, 2);
            assertEquals(4 * PAGE, run.remaining());
            assertThrows(IllegalArgumentException.class, () -> views.pages(3, edge - 1, 2, 3));
            block.force();
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
                final ByteBuffer read = ByteBuffer.allocate(2 * PAGE).order(ByteOrder.nativeOrder());
                channel.read(read, (edge - 1) * PAGE);
                assertEquals(0x1122334455667788L, read.getLong(0));
                assertEquals(0x0102030405060708L, read.getLong(2 * PAGE - 8));
            }
        }
    }

    @Test
    void anonymousBlocksAreZeroedWindowedAndFreed() {
        try (RamBlock block = RamBlock.anonymous(1, "vga.vram", 3L << 20, PAGE, 1 << 20)) {
            assertFalse(block.isFileBacked());
            assertEquals(3, block.windowCount());
            for (long page = 0; page < block.pageCount(); page++) {
                assertTrue(Pages.isZero(block, page));
            }
            block.window(2).putByte(5, (byte)1);
            assertFalse(Pages.isZero(block, 512));
        }
    }

    @Test
    void anonymousBlockBeyondTheDirectMemoryLimitFailsAtOnceWithTheFlagToRaise() {
        final long tooBig = (DirectMemory.maxBytes() / PAGE + 1) * PAGE;
        final MemoryException ex = assertThrows(MemoryException.class,
            () -> RamBlock.anonymous(0, "huge", tooBig, PAGE));
        assertTrue(ex.getMessage().contains("MaxDirectMemorySize"), ex.getMessage());
    }

    @Test
    void badArgumentsNameTheValue() {
        assertTrue(assertThrows(MemoryException.class, () -> RamBlock.anonymous(0, "x", 5000, PAGE))
            .getMessage().contains("5000"));
        assertTrue(assertThrows(MemoryException.class, () -> RamBlock.anonymous(0, "x", PAGE, 3000))
            .getMessage().contains("3000"));
        final Path missing = dir.resolve("nope.ram");
        assertTrue(assertThrows(MemoryException.class, () -> RamBlock.mapFile(0, "x", missing, 0, PAGE, PAGE))
            .getMessage().contains(missing.toString()));
    }

    @Test
    void createReservedRefusesWhatTheStoreCannotHoldAndLeavesNothing() throws IOException {
        final Path file = dir.resolve("toolarge.ram");
        final long tooLarge = Files.getFileStore(dir).getTotalSpace() + (1L << 30);
        final MemoryException ex = assertThrows(MemoryException.class, () -> MemoryFiles.createReserved(file, tooLarge));
        assertTrue(ex.getMessage().contains("not enough space"), ex.getMessage());
        assertFalse(Files.exists(file));
    }

    @Test
    void createReservedAllocatesTheWholeFile() throws IOException {
        final Path file = dir.resolve("reserved.ram");
        Files.write(file, new byte[] {1, 2, 3});
        MemoryFiles.createReserved(file, 4L << 20);
        assertEquals(4L << 20, Files.size(file));
        try (GuestMemory memory = GuestMemory.mapFile(file, List.of(new BlockSpec(0, "ram", 4L << 20)), PAGE)) {
            assertTrue(Pages.isZero(memory.block(0), 0), "an existing file must be truncated, not reused");
        }
    }
}
