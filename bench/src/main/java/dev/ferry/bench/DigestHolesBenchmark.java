package dev.ferry.bench;

import dev.ferry.memory.BlockSpec;
import dev.ferry.memory.GuestMemory;
import dev.ferry.memory.RamBlock;
import dev.ferry.memory.internal.Digests;
import dev.ferry.memory.internal.FileExtents;
import dev.ferry.memory.internal.MemoryFiles;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * What a digest of a memory file with holes costs each way (docs/benchmarks.md, "Mixed chunks digested by hole"):
 * a tmpfs file of {@code size} MiB with half its pages written at random, digested on 2 threads by {@code mincore}
 * (what tmpfs with no swap gets), by the {@code lseek} cursor (every other file system), and read whole through the
 * mapping (which faults every hole in, so it runs last), four times each, the first cold; plus the {@code lseek}
 * walk of the file's extents alone, on one thread.
 * <pre>
 * java --add-opens java.base/jdk.internal.misc=ALL-UNNAMED -cp bench/target/benchmarks.jar \
 *     dev.ferry.bench.DigestHolesBenchmark [size MiB, default 2048]
 * </pre>
 */
public final class DigestHolesBenchmark {
    private static final int CHUNK = 1 << 20;

    private DigestHolesBenchmark() {
    }

    public static void main(final String[] args) throws Exception {
        final long size = (args.length > 0 ? Long.parseLong(args[0]) : 2048) << 20;
        final Path file = Path.of("/dev/shm").resolve("ferry-digest-holes-" + ProcessHandle.current().pid());
        try (GuestMemory memory = GuestMemory.createFile(file, List.of(new BlockSpec(0, "ram", size)), 4096, false)) {
            final RamBlock block = memory.block(0);
            final SplittableRandom random = new SplittableRandom(3);
            for (long page = 0; page < block.pageCount(); page++) {
                if (random.nextBoolean()) {
                    block.windowOfPage(page).putLong(block.offsetInWindow(page), page + 1);
                }
            }
            System.out.printf(Locale.ROOT, "%d MiB, %d data extents, mincore exact here: %b%n", size >> 20,
                extents(file, size), FileExtents.residencyIsExact(file));
            for (final String way : new String[] {"mincore", "lseek", "read whole"}) {
                for (int i = 0; i < 4; i++) {
                    final long startNs = System.nanoTime();
                    Digests.of(memory, CHUNK, 2, () -> false, Thread::new, !"read whole".equals(way),
                        "mincore".equals(way));
                    final long digestNs = System.nanoTime() - startNs;
                    final long walkStartNs = System.nanoTime();
                    final long extents = extents(file, size);
                    System.out.printf(Locale.ROOT, "%-10s digest %5.0f ms%s; lseek walk alone %4.0f ms, %d extents%n",
                        way, digestNs / 1e6, i == 0 ? " (cold)" : "", (System.nanoTime() - walkStartNs) / 1e6, extents);
                }
            }
        } finally {
            MemoryFiles.deleteQuietly(file);
        }
    }

    /** The number of data extents, walked with one cursor: two lseek calls per extent. */
    private static long extents(final Path file, final long size) {
        long count = 0;
        try (FileExtents.Cursor cursor = FileExtents.cursor(file, 0, size)) {
            long at = 0;
            while ((at = cursor.dataAtOrAfter(at)) < size) {
                at = cursor.dataEndAfter(at);
                count++;
            }
        }
        return count;
    }
}
