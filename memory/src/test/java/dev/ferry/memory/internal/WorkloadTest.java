package dev.ferry.memory.internal;

import dev.ferry.memory.RamBlock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(60)
final class WorkloadTest {
    private static final int PAGE = 4096;

    @Test
    void pauseStopsEveryWriteUntilResume() throws InterruptedException {
        try (RamBlock block = RamBlock.anonymous(0, "ram", 1024L * PAGE, PAGE);
             Workload workload = new Workload(block, 0, 512, 2, 200_000, 7).start()) {
            awaitWrites(workload, 1000);
            workload.pause();
            final long writes = workload.writes();
            final int digest = Pages.crc32c(block);
            final long marked = block.dirtyBitmap().cardinality();
            Thread.sleep(200);
            assertEquals(digest, Pages.crc32c(block), "memory changed while paused");
            assertEquals(writes, workload.writes(), "writes counted while paused");
            assertEquals(marked, block.dirtyBitmap().cardinality(), "pages marked while paused");
            workload.resume();
            awaitWrites(workload, writes + 1000);
        }
    }

    @Test
    void versionsOnlyGrowAndStampsMatchTheLastWrite() throws InterruptedException {
        try (RamBlock block = RamBlock.anonymous(0, "ram", 1024L * PAGE, PAGE)) {
            final Workload workload = new Workload(block, 100, 300, 3, 300_000, 11).stampInitial().start();
            final long[] seen = new long[300];
            final long deadline = System.nanoTime() + 2_000_000_000L;
            long checks = 0;
            while (System.nanoTime() < deadline && workload.writes() < 200_000) {
                for (int i = 0; i < seen.length; i++) {
                    final long version = Workload.versionOf(block, 100 + i);
                    assertTrue(version >= seen[i], "page " + (100 + i) + " went from " + seen[i] + " to " + version);
                    seen[i] = version;
                    checks++;
                }
            }
            workload.close();
            assertTrue(checks > 0);
            for (int i = 0; i < seen.length; i++) {
                final long page = 100 + i;
                assertEquals(workload.lastVersion(page), Workload.versionOf(block, page));
                assertEquals(page, block.windowOfPage(page).getLong(block.offsetInWindow(page)));
            }
            assertTrue(Pages.isZero(block, 99), "a page outside the hot set was written");
            assertTrue(Pages.isZero(block, 400), "a page outside the hot set was written");
        }
    }

    @Test
    void idleWorkloadWritesNothing() throws InterruptedException {
        try (RamBlock block = RamBlock.anonymous(0, "ram", 64L * PAGE, PAGE);
             Workload workload = new Workload(block, 0, 64, 1, 0, 1).start()) {
            Thread.sleep(50);
            assertEquals(0, workload.writes());
            assertEquals(0, block.dirtyBitmap().cardinality());
        }
    }

    private static void awaitWrites(final Workload workload, final long writes) throws InterruptedException {
        while (workload.writes() < writes) {
            Thread.sleep(1);
        }
    }
}
