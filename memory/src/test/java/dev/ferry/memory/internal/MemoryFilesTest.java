package dev.ferry.memory.internal;

import dev.ferry.memory.BlockSpec;
import dev.ferry.memory.FileIdentity;
import dev.ferry.memory.GuestMemory;
import dev.ferry.memory.MappedFile;
import dev.ferry.memory.MemoryException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Memory files are data: never through a link, never truncated in place, private, put in place only whole. */
class MemoryFilesTest {
    private static final int PAGE = 4096;

    @TempDir
    Path dir;

    private Path victim() throws IOException {
        return Files.write(dir.resolve("victim"), new byte[] {1, 2, 3, 4, 5});
    }

    @Test
    void creatingThroughALinkIsRefusedAndTheLinksTargetUntouched() throws Exception {
        final Path victim = victim();
        final Path link = Files.createSymbolicLink(dir.resolve("link.ram"), victim);
        final MemoryException sparse = assertThrows(MemoryException.class, () -> MemoryFiles.createSparse(link, 1 << 20));
        assertTrue(sparse.getMessage().contains("symbolic link"), sparse.getMessage());
        assertThrows(MemoryException.class, () -> MemoryFiles.createReserved(link, 1 << 20));
        assertThrows(MemoryException.class, () -> GuestMemory.createFile(link, List.of(new BlockSpec(0, "r", 1 << 20)), PAGE));
        assertArrayEquals(new byte[] {1, 2, 3, 4, 5}, Files.readAllBytes(victim));
        assertTrue(Files.isSymbolicLink(link));
    }

    @Test
    void mappingThroughALinkOrANonRegularFileIsRefused() throws Exception {
        final Path real = dir.resolve("real.ram");
        MemoryFiles.createSparse(real, 1 << 20);
        final Path link = Files.createSymbolicLink(dir.resolve("link.ram"), real);
        final MemoryException linked = assertThrows(MemoryException.class,
            () -> GuestMemory.mapFile(link, List.of(new BlockSpec(0, "r", 1 << 20)), PAGE));
        assertTrue(linked.getMessage().contains("symbolic link"), linked.getMessage());
        assertThrows(MemoryException.class, () -> MappedFile.map(link, 1 << 20));
        final MemoryException directory = assertThrows(MemoryException.class,
            () -> GuestMemory.mapFile(dir, List.of(new BlockSpec(0, "r", 1 << 20)), PAGE));
        assertTrue(directory.getMessage().contains("is a directory"), directory.getMessage());
        final Path fifo = fifo();
        if (null != fifo) {
            final MemoryException pipe = assertThrows(MemoryException.class,
                () -> GuestMemory.mapFile(fifo, List.of(new BlockSpec(0, "r", 1 << 20)), PAGE));
            assertTrue(pipe.getMessage().contains("not a regular file"), pipe.getMessage());
        }
    }

    @Test
    void anExistingFileIsReplacedNotTruncatedSoAMappingOfItKeepsItsBytes() {
        final Path file = dir.resolve("guest.ram");
        try (GuestMemory old = GuestMemory.createFile(file, List.of(new BlockSpec(0, "r", 1 << 20)), PAGE)) {
            old.block(0).windowOfPage(0).putLong(0, 0x1122334455667788L);
            final FileIdentity before = FileIdentity.of(file);
            MemoryFiles.createSparse(file, 1 << 20);
            assertNotEquals(before, FileIdentity.of(file), "a new file, not the old one truncated");
            assertEquals(0x1122334455667788L, old.block(0).windowOfPage(0).getLong(0), "the mapping kept its bytes");
        }
    }

    @Test
    void createdFilesArePrivateAndSparseOrReserved() throws Exception {
        final Path sparse = dir.resolve("sparse.ram");
        MemoryFiles.createSparse(sparse, 64L << 20);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(sparse)));
        assertEquals(64L << 20, Files.size(sparse));
        final Path reserved = dir.resolve("reserved.ram");
        MemoryFiles.createReserved(reserved, 8L << 20);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(reserved)));
        assertEquals(8L << 20, Files.size(reserved));
        if (NativeFiles.available()) {
            assertTrue(allocatedBytes(sparse) < (1 << 20), "sparse: " + allocatedBytes(sparse));
            assertTrue(allocatedBytes(reserved) >= (8L << 20), "reserved: " + allocatedBytes(reserved));
        }
    }

    @Test
    void aTargetIsCheckedBeforeAnythingIsWritten() throws Exception {
        final Path absent = dir.resolve("new.ram");
        assertDoesNotThrow(() -> MemoryFiles.checkTarget(absent, false));
        final Path existing = victim();
        final MemoryException taken = assertThrows(MemoryException.class, () -> MemoryFiles.checkTarget(existing, false));
        assertTrue(taken.getMessage().contains("already exists"), taken.getMessage());
        assertDoesNotThrow(() -> MemoryFiles.checkTarget(existing, true));
        final Path link = Files.createSymbolicLink(dir.resolve("link.ram"), existing);
        assertTrue(assertThrows(MemoryException.class, () -> MemoryFiles.checkTarget(link, true)).getMessage()
            .contains("symbolic link"));
        assertTrue(assertThrows(MemoryException.class, () -> MemoryFiles.checkTarget(dir, true)).getMessage()
            .contains("is a directory"));
        assertTrue(assertThrows(MemoryException.class, () -> MemoryFiles.checkTarget(dir.resolve("no/x.ram"), true))
            .getMessage().contains("does not exist"));
    }

    @Test
    void commitPutsThePartialFileInPlaceOnlyWhereAllowed() throws Exception {
        final Path target = dir.resolve("guest.ram");
        final Path partial = MemoryFiles.partialOf(target);
        assertEquals(dir, partial.getParent(), "beside its target");
        Files.write(partial, new byte[] {7});
        MemoryFiles.commit(partial, target, false);
        assertArrayEquals(new byte[] {7}, Files.readAllBytes(target));
        assertFalse(Files.exists(partial));

        Files.write(partial, new byte[] {8});
        final MemoryException taken = assertThrows(MemoryException.class, () -> MemoryFiles.commit(partial, target, false));
        assertTrue(taken.getMessage().contains("appeared during the migration"), taken.getMessage());
        assertArrayEquals(new byte[] {7}, Files.readAllBytes(target), "not replaced without overwrite");
        assertTrue(Files.exists(partial), "the partial file is the caller's to discard");

        MemoryFiles.commit(partial, target, true);
        assertArrayEquals(new byte[] {8}, Files.readAllBytes(target), "replaced with overwrite");
        assertFalse(Files.exists(partial));
    }

    @Test
    void stalePartialFilesOfDeadProcessesAreRemovedAndNoOthers() throws Exception {
        final Path target = dir.resolve("guest.ram");
        final Process gone = new ProcessBuilder("true").start();
        assertTrue(gone.waitFor(10, TimeUnit.SECONDS));
        final Path stale = Files.write(dir.resolve("guest.ram." + gone.pid() + ".partial"), new byte[1]);
        final Path ours = Files.write(MemoryFiles.partialOf(target), new byte[1]);
        final Path otherGuest = Files.write(dir.resolve("other.ram." + gone.pid() + ".partial"), new byte[1]);
        final Path unrelated = Files.write(dir.resolve("guest.ram.partial"), new byte[1]);
        assertEquals(List.of(stale), MemoryFiles.removeStalePartials(target));
        assertFalse(Files.exists(stale));
        assertTrue(Files.exists(ours), "a live process's partial file stays");
        assertTrue(Files.exists(otherGuest), "another target's partial file stays");
        assertTrue(Files.exists(unrelated), "a file that is not ours stays");
    }

    private static long allocatedBytes(final Path file) throws IOException, InterruptedException {
        final Process du = new ProcessBuilder("du", "-B1", "--", file.toString()).start();
        final String out = new String(du.getInputStream().readAllBytes()).trim();
        assertTrue(du.waitFor(10, TimeUnit.SECONDS));
        return Long.parseLong(out.split("\\s+")[0]);
    }

    private Path fifo() throws IOException, InterruptedException {
        final Path fifo = dir.resolve("fifo.ram");
        try {
            final Process mkfifo = new ProcessBuilder("mkfifo", fifo.toString()).start();
            return mkfifo.waitFor(10, TimeUnit.SECONDS) && mkfifo.exitValue() == 0 ? fifo : null;
        } catch (final IOException ex) {
            return null;
        }
    }
}
