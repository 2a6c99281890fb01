package dev.ferry.memory.internal;

import dev.ferry.memory.BlockSpec;
import dev.ferry.memory.GuestMemory;
import dev.ferry.memory.RamBlock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.zip.CRC32C;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(30)
final class PagesTest {
    private static final int PAGE = 4096;
    private static final int WINDOW = 64 * 1024;

    @Test
    void oneNonZeroByteAnywhereIsSeen() {
        try (RamBlock block = RamBlock.anonymous(0, "ram", 4L * WINDOW, PAGE, WINDOW)) {
            final long edgePage = WINDOW / PAGE;
            final long[] pages = {0, 7, edgePage - 1, edgePage, block.pageCount() - 1};
            final int[] positions = {0, 1, 7, 8, 63, 64, PAGE / 2 - 1, PAGE / 2, PAGE - 9, PAGE - 8, PAGE - 1};
            for (final long page : pages) {
                for (final int position : positions) {
                    assertTrue(Pages.isZero(block, page));
                    final int at = block.offsetInWindow(page) + position;
                    block.windowOfPage(page).putByte(at, (byte)0x40);
                    assertFalse(Pages.isZero(block, page), "page " + page + " byte " + position);
                    assertFalse(Pages.isZeroByLongs(block, page), "page " + page + " byte " + position);
                    if (page > 0) {
                        assertTrue(Pages.isZero(block, page - 1), "neighbour of page " + page);
                    }
                    block.windowOfPage(page).putByte(at, (byte)0);
                }
            }
        }
    }

    /** A page larger than the page of zeros it is compared with: every piece of it is looked at, the last too. */
    @Test
    void aHugePageIsComparedPieceByPiece() {
        final int huge = RamBlock.MAX_PAGE_SIZE;
        try (RamBlock block = RamBlock.anonymous(0, "ram", 2L * huge, huge)) {
            for (final int position : new int[] {0, PAGE - 1, PAGE, huge / 2 + 5, huge - PAGE, huge - 1}) {
                assertTrue(Pages.isZero(block, 1));
                block.windowOfPage(1).putByte(block.offsetInWindow(1) + position, (byte)1);
                assertFalse(Pages.isZero(block, 1), "byte " + position);
                assertTrue(Pages.isZero(block, 0), "the page before");
                block.windowOfPage(1).putByte(block.offsetInWindow(1) + position, (byte)0);
            }
        }
    }

    /** The view's limit is put back, and its position moved no further than the page, so the next test starts right. */
    @Test
    void theViewEndsAtItsLimit() {
        final ByteBuffer view = ByteBuffer.allocateDirect(3 * PAGE);
        view.put(2 * PAGE + 3, (byte)1).limit(2 * PAGE).position(0);
        assertTrue(Pages.isZero(view));
        assertEquals(2 * PAGE, view.limit());
        view.limit(3 * PAGE).position(PAGE);
        assertFalse(Pages.isZero(view));
        assertEquals(3 * PAGE, view.limit());
    }

    @Test
    void digestsMatchAPlainCrcOverACopyAcrossWindows() {
        try (RamBlock block = RamBlock.anonymous(0, "ram", 4L * WINDOW, PAGE, WINDOW)) {
            Fill.mixed(block, 0.3, 42);
            final byte[] copy = new byte[(int)block.lengthBytes()];
            for (int w = 0; w < block.windowCount(); w++) {
                block.window(w).getBytes(0, copy, w * WINDOW, WINDOW);
            }
            final CRC32C whole = new CRC32C();
            whole.update(copy);
            assertEquals((int)whole.getValue(), Pages.crc32c(block));

            final long page = WINDOW / PAGE - 1;
            final CRC32C two = new CRC32C();
            two.update(copy, (int)page * PAGE, 2 * PAGE);
            assertEquals((int)two.getValue(), Pages.crc32c(block, page, 2), "a run across a window edge");

            final CRC32C one = new CRC32C();
            one.update(copy, PAGE, PAGE);
            assertEquals((int)one.getValue(), Pages.crc32c(block, 1));

            final int before = Pages.crc32c(block, 5);
            block.windowOfPage(5).putByte(block.offsetInWindow(5) + PAGE - 1, (byte)0x5a);
            assertNotEquals(before, Pages.crc32c(block, 5));
        }
    }

    @Test
    void chunkDigestsLocateADifference() {
        try (GuestMemory a = GuestMemory.anonymous(List.of(new BlockSpec(0, "a", 3L << 20)), PAGE);
             GuestMemory b = GuestMemory.anonymous(List.of(new BlockSpec(0, "a", 3L << 20)), PAGE)) {
            Fill.random(a.block(0), 9);
            Fill.random(b.block(0), 9);
            b.block(0).window(0).putByte((int)(2L << 20) + 17, (byte)1);
            final int[] da = Digests.of(a, 1 << 20, 2).get(0);
            final int[] db = Digests.of(b, 1 << 20, 1).get(0);
            assertEquals(3, da.length);
            assertEquals(da[0], db[0]);
            assertEquals(da[1], db[1]);
            assertNotEquals(da[2], db[2]);
        }
    }

    @Test
    void mixedFillHonoursTheZeroShare() {
        try (RamBlock block = RamBlock.anonymous(0, "ram", 4096L * PAGE, PAGE)) {
            Fill.mixed(block, 0.25, 1);
            long zero = 0;
            for (long page = 0; page < block.pageCount(); page++) {
                zero += Pages.isZero(block, page) ? 1 : 0;
            }
            assertTrue(zero > 900 && zero < 1150, "zero pages: " + zero);
        }
    }
}
