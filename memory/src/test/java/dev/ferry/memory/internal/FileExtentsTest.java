package dev.ferry.memory.internal;

import dev.ferry.memory.BlockSpec;
import dev.ferry.memory.GuestMemory;
import dev.ferry.memory.RamBlock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The file system's word on holes, and digests that take holes as zeros without faulting pages in. */
final class FileExtentsTest {
    private static final int PAGE = 4096;
    private static final int CHUNK = 1 << 20;
    private final Path file = (Files.isDirectory(Path.of("/dev/shm")) ? Path.of("/dev/shm") :
        Path.of(System.getProperty("java.io.tmpdir"))).resolve("ferry-extents-" + ProcessHandle.current().pid());

    @AfterEach
    void delete() {
        MemoryFiles.deleteQuietly(file);
    }

    /** The data extents of the whole file as [start, end) pairs, walked with a cursor. */
    private List<Long> extents(final long length) {
        final List<Long> extents = new ArrayList<>();
        try (FileExtents.Cursor cursor = FileExtents.cursor(file, 0, length)) {
            assumeTrue(cursor.answers(), "no SEEK_DATA here");
            long at = 0;
            while ((at = cursor.dataAtOrAfter(at)) < length) {
                final long end = cursor.dataEndAfter(at);
                extents.add(at);
                extents.add(end);
                at = end;
            }
        }
        return extents;
    }

    private static void write(final RamBlock block, final long page, final long value) {
        block.windowOfPage(page).putLong(block.offsetInWindow(page) + 8, value);
    }

    @Test
    void aSparseFileReportsOnlyWhatWasWrittenAndDigestsTheSameWithoutFaultingHolesIn() {
        final long length = 8L << 20;
        try (GuestMemory memory = GuestMemory.createFile(file, List.of(new BlockSpec(0, "ram", length)), PAGE, false)) {
            final RamBlock block = memory.block(0);
            assertEquals(List.of(), extents(length), "a fresh file is all hole");
            write(block, 3, 0x1234);
            write(block, 1800, 7);
            write(block, 1801, 8);
            final List<Long> written = List.of(3L * PAGE, 4L * PAGE, 1800L * PAGE, 1802L * PAGE);
            assertEquals(written, extents(length));
            final List<int[]> skipping = Digests.of(memory, CHUNK, 2, () -> false, Thread::new, true);
            assertEquals(written, extents(length), "digesting took the holes as zeros: no page was faulted in");
            final List<int[]> reading = Digests.of(memory, CHUNK, 2, () -> false, Thread::new, false);
            assertArrayEquals(reading.get(0), skipping.get(0), "the same digests either way");
            assertEquals(Digests.chunk(block, CHUNK, 7), skipping.get(0)[7]);
            assertEquals(Digests.chunk(block, CHUNK, 4), skipping.get(0)[4], "a hole chunk digests as zeros");
        }
    }

    /**
     * Half the pages written at random, so every chunk mixes data and holes page by page, and extents cross chunk
     * boundaries: digests by extent equal digests read through the mapping, and no hole is faulted in.
     */
    @Test
    void chunksMixingDataAndHolesDigestByExtentAsTheyRead() {
        final long length = 6L * CHUNK + 5 * PAGE;
        try (GuestMemory memory = GuestMemory.createFile(file, List.of(new BlockSpec(0, "ram", length)), PAGE, false)) {
            final RamBlock block = memory.block(0);
            final SplittableRandom random = new SplittableRandom(7);
            long written = 0;
            for (long page = 0; page < block.pageCount(); page++) {
                if (page >= 256 && page < 768 || page < 256 && random.nextBoolean() || page >= 1024 &&
                    random.nextInt(4) == 0) {
                    write(block, page, page + 1);
                    written++;
                }
            }
            final List<Long> before = extents(length);
            assertEquals(written, before.isEmpty() ? 0 : sumOfExtents(before) / PAGE);
            final int[] seekOneThread = Digests.of(memory, CHUNK, 1, () -> false, Thread::new, true, false).get(0);
            final int[] seekThreeThreads = Digests.of(memory, CHUNK, 3, () -> false, Thread::new, true, false).get(0);
            assertEquals(before, extents(length), "no hole was faulted in by lseek's way");
            final int[] residency = Digests.of(memory, CHUNK, 2, () -> false, Thread::new, true, true).get(0);
            assertEquals(before, extents(length), "no hole was faulted in by mincore's way");
            final int[] reading = Digests.of(memory, CHUNK, 2, () -> false, Thread::new, false).get(0);
            assertArrayEquals(reading, seekOneThread, "lseek, one thread");
            assertArrayEquals(reading, seekThreeThreads, "lseek, three threads");
            assertArrayEquals(reading, residency, "mincore");
        }
    }

    private static long sumOfExtents(final List<Long> extents) {
        long sum = 0;
        for (int i = 0; i < extents.size(); i += 2) {
            sum += extents.get(i + 1) - extents.get(i);
        }
        return sum;
    }

    @Test
    void residencyTellsHolesOnlyOnTmpfsWithoutSwap() throws Exception {
        assumeTrue(file.startsWith("/dev/shm") && Files.readAllLines(Path.of("/proc/swaps")).size() <= 1,
            "needs /dev/shm and no swap");
        Files.write(file, new byte[PAGE]);
        assertTrue(FileExtents.residencyIsExact(file), "tmpfs without swap");
        assertFalse(FileExtents.residencyIsExact(Path.of("/proc/self/status")), "procfs is not tmpfs");
    }

    @Test
    void aFileTheSystemCannotOpenCountsAsAllData() {
        try (FileExtents.Cursor cursor = FileExtents.cursor(file.resolveSibling("no-such-ferry-file"), 0, 1 << 20)) {
            assertFalse(cursor.answers());
            assertEquals(4096, cursor.dataAtOrAfter(4096));
            assertEquals(1 << 20, cursor.dataEndAfter(4096));
        }
    }
}
