package dev.ferry.memory;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The file system's word on holes, and digests that take holes as zeros without faulting pages in. */
final class FileExtentsTest {
    private static final int PAGE = 4096;
    private final Path file = (Files.isDirectory(Path.of("/dev/shm")) ? Path.of("/dev/shm") :
        Path.of(System.getProperty("java.io.tmpdir"))).resolve("ferry-extents-" + ProcessHandle.current().pid());

    @AfterEach
    void delete() {
        MemoryFiles.deleteQuietly(file);
    }

    @Test
    void aSparseFileReportsOnlyWhatWasWrittenAndDigestsTheSameWithoutFaultingHolesIn() {
        final long length = 8L << 20;
        try (GuestMemory memory = GuestMemory.createFile(file, List.of(new BlockSpec(0, "ram", length)), PAGE, false)) {
            final RamBlock block = memory.block(0);
            final int chunk = 1 << 20;
            assumeTrue(null != FileExtents.dataChunks(file, 0, length, chunk), "no SEEK_DATA here");
            assertArrayEquals(new boolean[8], FileExtents.dataChunks(file, 0, length, chunk), "a fresh file is all hole");
            block.windowOfPage(3).putLong(block.offsetInWindow(3) + 8, 0x1234);
            block.windowOfPage(1800).putLong(block.offsetInWindow(1800), 7);
            block.windowOfPage(1801).putLong(block.offsetInWindow(1801), 8);
            final boolean[] written = {true, false, false, false, false, false, false, true};
            assertArrayEquals(written, FileExtents.dataChunks(file, 0, length, chunk));
            final List<int[]> skipping = Digests.of(memory, chunk, 2, () -> false, Thread::new, true);
            assertArrayEquals(written, FileExtents.dataChunks(file, 0, length, chunk),
                "digesting took the hole chunks as zeros: no page was faulted in");
            final List<int[]> reading = Digests.of(memory, 1 << 20, 2, () -> false, Thread::new, false);
            assertEquals(skipping.size(), reading.size());
            assertArrayEquals(reading.get(0), skipping.get(0), "the same digests either way");
            assertEquals(Digests.chunk(block, chunk, 7), skipping.get(0)[7]);
            assertEquals(Digests.chunk(block, chunk, 4), skipping.get(0)[4], "a hole chunk digests as zeros");
        }
    }
}
