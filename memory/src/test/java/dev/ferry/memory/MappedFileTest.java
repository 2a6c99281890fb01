package dev.ferry.memory;

import dev.ferry.memory.internal.MemoryFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A guest cut from a touched {@link MappedFile} keeps the page tables that touching made: this process has every
 * page of it mapped ({@code Rss} in {@code /proc/self/smaps}) before anything is written through the guest, where a
 * fresh mapping of the same file has none. Views write through to the file, and the mapping is unmapped only once
 * the owner and every view are closed.
 */
@Timeout(60)
final class MappedFileTest {
    private static final int PAGE = 4096;
    private static final long MIB = 1 << 20;

    @TempDir
    Path dir;

    @Test
    void aGuestCutFromATouchedMappingHasItsPageTablesAlready() throws IOException {
        final Path file = dir.resolve("guest.ram");
        final long size = 8 * MIB;
        MemoryFiles.createReserved(file, size);
        final List<BlockSpec> specs = List.of(new BlockSpec(0, "ram", 4 * MIB), new BlockSpec(1, "vga", 3 * MIB),
            new BlockSpec(2, "rom", MIB));
        try (GuestMemory fresh = GuestMemory.mapFile(file, specs, PAGE)) {
            assertEquals(0, residentKiB(fresh.block(0)), "a fresh mapping starts with no page mapped");
        }
        try (MappedFile mapped = MappedFile.map(file, size)) {
            mapped.touchEveryPage(PAGE, 2);
            try (GuestMemory guest = GuestMemory.mapFile(mapped, specs, PAGE)) {
                for (final RamBlock block : guest.blocks()) {
                    assertEquals(size / 1024, residentKiB(block), block + " lies in the touched mapping, all of it mapped");
                }
            }
        }
    }

    /**
     * An interrupt while touching (a daemon stopping during a prefault) returns only once every toucher has stopped,
     * so the caller may unmap at once: before, the touchers kept writing into the unmapped file and the JVM crashed
     * (SIGSEGV). Repeated, with the file doubled, until an interrupt lands while the touchers run.
     */
    @Test
    void anInterruptedTouchReturnsOnlyOnceItsTouchersStoppedSoTheFileCanBeUnmapped() throws Exception {
        boolean interruptedMidway = false;
        for (long size = 64 * MIB; !interruptedMidway && size <= 1024 * MIB; size *= 2) {
            final Path file = dir.resolve("interrupted-" + size + ".ram");
            MemoryFiles.createSparse(file, size);
            final MappedFile mapped = MappedFile.map(file, size);
            final java.util.concurrent.atomic.AtomicReference<Throwable> thrown =
                new java.util.concurrent.atomic.AtomicReference<>();
            final Thread toucher = new Thread(() -> {
                try {
                    mapped.touchEveryPage(PAGE, 2);
                } catch (final MemoryException ex) {
                    thrown.set(ex);
                } finally {
                    mapped.close(); // at once, as MemoryFactory.touch does: every toucher must have stopped by now
                }
            });
            toucher.start();
            Thread.sleep(5);
            toucher.interrupt();
            toucher.join();
            interruptedMidway = null != thrown.get();
            Files.delete(file);
        }
        assertTrue(interruptedMidway, "no touch was ever interrupted midway, up to 1 GiB");
    }

    @Test
    void viewsWriteThroughToTheFileAtTheirOffsets() throws IOException {
        final Path file = dir.resolve("guest.ram");
        MemoryFiles.createReserved(file, 6 * MIB);
        try (MappedFile mapped = MappedFile.map(file, 6 * MIB);
             GuestMemory guest = GuestMemory.mapFile(mapped, List.of(new BlockSpec(0, "a", 2 * MIB),
                 new BlockSpec(1, "b", 4 * MIB)), PAGE)) {
            guest.block(0).windowOfPage(3).putLong(guest.block(0).offsetInWindow(3), 0x1122334455667788L);
            guest.block(1).windowOfPage(5).putLong(guest.block(1).offsetInWindow(5), 0x0102030405060708L);
            guest.blocks().forEach(RamBlock::force);
        }
        try (FileChannel channel = FileChannel.open(file)) {
            assertEquals(0x1122334455667788L, longAt(channel, 3 * PAGE));
            assertEquals(0x0102030405060708L, longAt(channel, 2 * MIB + 5 * PAGE));
        }
    }

    @Test
    void aBlockAlignedLessThanAMebibyteIsMappedOnItsOwnAndStillCorrect() throws IOException {
        final Path file = dir.resolve("guest.ram");
        MemoryFiles.createReserved(file, 2 * MIB);
        try (MappedFile mapped = MappedFile.map(file, 2 * MIB)) {
            mapped.touchEveryPage(PAGE, 1);
            try (RamBlock odd = mapped.block(0, "odd", PAGE, MIB, PAGE)) {
                assertEquals(0, residentKiB(odd), "mapped afresh: no page tables shared");
                odd.window(0).putLong(0, 42);
                odd.force();
            }
        }
        try (FileChannel channel = FileChannel.open(file)) {
            assertEquals(42, longAt(channel, PAGE));
        }
    }

    @Test
    void unmappedOnlyWhenTheOwnerAndEveryViewAreClosed() throws IOException {
        final Path file = dir.resolve("guest.ram");
        MemoryFiles.createReserved(file, 4 * MIB);
        final MappedFile mapped = MappedFile.map(file, 4 * MIB);
        final RamBlock first = mapped.block(0, "first", 0, 2 * MIB, PAGE);
        final RamBlock second = mapped.block(1, "second", 2 * MIB, 2 * MIB, PAGE);
        final long address = first.window(0).addressOffset();
        mapped.close();
        assertThrows(MemoryException.class, () -> mapped.block(2, "late", 0, MIB, PAGE));
        first.close();
        assertTrue(isMapped(address), "still mapped: a view is open");
        second.window(0).putLong(0, 7); // would crash the JVM if unmapped
        second.close();
        assertFalse(isMapped(address), "unmapped after the last view closed");
    }

    @Test
    void aBlockOutsideTheFileIsRefused() throws IOException {
        final Path file = dir.resolve("guest.ram");
        MemoryFiles.createReserved(file, 2 * MIB);
        try (MappedFile mapped = MappedFile.map(file, 2 * MIB)) {
            final MemoryException ex =
                assertThrows(MemoryException.class, () -> mapped.block(0, "big", MIB, 2 * MIB, PAGE));
            assertTrue(ex.getMessage().contains("outside"), ex.getMessage());
        }
        assertThrows(MemoryException.class, () -> MappedFile.map(file, 4 * MIB));
    }

    private static long longAt(final FileChannel channel, final long offset) throws IOException {
        final ByteBuffer bytes = ByteBuffer.allocate(8).order(ByteOrder.nativeOrder());
        channel.read(bytes, offset);
        return bytes.flip().getLong();
    }

    /** The Rss of the mapping that holds {@code block}'s first window, from /proc/self/smaps. */
    private static long residentKiB(final RamBlock block) throws IOException {
        final long address = block.window(0).addressOffset();
        final List<String> lines = Files.readAllLines(Path.of("/proc/self/smaps"));
        for (int i = 0; i < lines.size(); i++) {
            if (contains(lines.get(i), address)) {
                for (int j = i + 1; j < lines.size(); j++) {
                    if (lines.get(j).startsWith("Rss:")) {
                        return Long.parseLong(lines.get(j).replaceAll("\\D", ""));
                    }
                }
            }
        }
        throw new AssertionError("no mapping holds 0x" + Long.toHexString(address));
    }

    private static boolean isMapped(final long address) throws IOException {
        return Files.readAllLines(Path.of("/proc/self/maps")).stream().anyMatch(line -> contains(line, address));
    }

    /** Whether a maps line ("start-end perms ...") covers {@code address}. */
    private static boolean contains(final String line, final long address) {
        final int dash = line.indexOf('-');
        final int space = line.indexOf(' ');
        if (dash <= 0 || space < dash || !line.substring(0, dash).matches("[0-9a-f]+")) {
            return false;
        }
        final long start = Long.parseUnsignedLong(line.substring(0, dash), 16);
        final long end = Long.parseUnsignedLong(line.substring(dash + 1, space), 16);
        return Long.compareUnsigned(address, start) >= 0 && Long.compareUnsigned(address, end) < 0;
    }
}
