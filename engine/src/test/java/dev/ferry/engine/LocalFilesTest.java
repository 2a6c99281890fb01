package dev.ferry.engine;

import dev.ferry.memory.BlockSpec;
import dev.ferry.memory.GuestMemory;
import dev.ferry.memory.MemoryException;
import dev.ferry.memory.internal.Fill;
import dev.ferry.memory.internal.MemoryFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 17, findings 1 and 2, through the API: a destination writes only a partial file of its own until the guest
 * is verified, refuses a link or an existing file it was not told to replace, and refuses a source whose memory is
 * the very file it would write, before any page moves.
 */
@Timeout(60)
class LocalFilesTest {
    private static final List<BlockSpec> ONE_BLOCK = List.of(new BlockSpec(0, "pc.ram", 8L << 20));

    @TempDir
    Path dir;

    private static byte[] sha256(final Path file) throws Exception {
        return MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file));
    }

    @Test
    void aSourceReadingTheDestinationsOwnFileIsRefusedAtSetupOnBothSides() throws Exception {
        final Path file = dir.resolve("guest.ram");
        try (GuestMemory created = GuestMemory.createFile(file, ONE_BLOCK, Guests.PAGE)) {
            Fill.random(created.block(0), 3);
        }
        final byte[] before = sha256(file);
        try (GuestMemory source = GuestMemory.mapFile(dir.resolve("./guest.ram"), ONE_BLOCK, Guests.PAGE)) {
            final MigrationResult[] results = Guests.migrate(source, MemoryFactory.file(file, true));
            assertEquals(ErrorCode.SETUP_REFUSED, results[0].errorCode(), results[0].error());
            assertTrue(results[0].error().contains("is this destination's memory file " + file), results[0].error());
            assertEquals(MigrationStatus.FAILED, results[1].status());
            assertEquals(0, results[0].stats().normalPages(), "no page moved");
        }
        assertArrayEquals(before, sha256(file), "the guest's memory is untouched");
        assertFalse(Files.exists(MemoryFiles.partialOf(file)));
        Guests.assertNoFerryThreads();
    }

    @Test
    void anEmbeddersMemoryThatIsTheSourcesFileIsRefusedToo() throws Exception {
        final Path file = dir.resolve("guest.ram");
        try (GuestMemory source = GuestMemory.createFile(file, ONE_BLOCK, Guests.PAGE);
             GuestMemory same = GuestMemory.mapFile(file, ONE_BLOCK, Guests.PAGE)) {
            Fill.random(source.block(0), 4);
            final long word = source.block(0).windowOfPage(7).getLong(0);
            final MigrationResult[] results = Guests.migrate(source, MemoryFactory.existing(same));
            assertEquals(ErrorCode.SETUP_REFUSED, results[0].errorCode(), results[0].error());
            assertTrue(results[0].error().contains("is this destination's memory file"), results[0].error());
            assertEquals(word, same.block(0).windowOfPage(7).getLong(0), "the embedder's memory is left alone");
        }
    }

    @Test
    void anExistingTargetIsRefusedUnlessOverwriteAndReplacedOnlyByAVerifiedGuest() throws Exception {
        final Path target = Files.write(dir.resolve("old.ram"), new byte[] {9, 9, 9});
        final MemoryException refused = assertThrows(MemoryException.class, () -> MemoryFactory.file(target));
        assertTrue(refused.getMessage().contains("already exists"), refused.getMessage());
        assertThrows(MemoryException.class, () -> MemoryFactory.preallocatedFile(target, 8L << 20, false));
        assertArrayEquals(new byte[] {9, 9, 9}, Files.readAllBytes(target));
        try (GuestMemory source = Guests.filled(Guests.anonymous(ONE_BLOCK), 5)) {
            final MigrationResult[] results = Guests.migrate(source, MemoryFactory.file(target, true));
            assertEquals(MigrationStatus.COMPLETED, results[0].status(), results[0].error());
            assertTrue(results[1].verified());
            try (GuestMemory received = results[1].memory()) {
                Guests.assertSameMemory(source, received);
            }
            try (GuestMemory placed = GuestMemory.mapFile(target, ONE_BLOCK, Guests.PAGE)) {
                Guests.assertSameMemory(source, placed);
            }
        }
        assertFalse(Files.exists(MemoryFiles.partialOf(target)), "renamed into place, nothing left beside it");
    }

    @Test
    void aFailedMigrationLeavesTheTargetAsItWasAndNoPartialFile() throws Exception {
        final byte[] old = new byte[8 << 20];
        Arrays.fill(old, (byte)0x5A);
        final Path target = Files.write(dir.resolve("old.ram"), old);
        final Path other = dir.resolve("prefaulted.ram");
        try (GuestMemory source = Guests.filled(Guests.anonymous(ONE_BLOCK), 6)) {
            final MigrationResult[] wrongSize = Guests.migrate(source, MemoryFactory.preallocatedFile(target, 4L << 20, true,
                true));
            assertEquals(ErrorCode.SETUP_REFUSED, wrongSize[0].errorCode(), wrongSize[0].error());
            final MigrationResult[] fresh = Guests.migrate(source, MemoryFactory.preallocatedFile(other, 4L << 20, false));
            assertEquals(MigrationStatus.FAILED, fresh[1].status());
        }
        assertArrayEquals(old, Files.readAllBytes(target), "a failed migration leaves the target as it was");
        assertFalse(Files.exists(other), "a failed migration never makes its target");
        assertFalse(Files.exists(MemoryFiles.partialOf(target)));
        assertFalse(Files.exists(MemoryFiles.partialOf(other)));
    }

    @Test
    void aDestinationThatNeverGotASourceDeletesItsPreallocatedPartialFile() throws Exception {
        final Path target = dir.resolve("never.ram");
        final MemoryFactory factory = MemoryFactory.preallocatedFile(target, 4L << 20, true);
        assertTrue(Files.exists(MemoryFiles.partialOf(target)));
        try (MigrationDestination destination = MigrationDestination.start(new MigrationDestination.Context()
            .secret(Guests.SECRET).memoryFactory(factory))) {
            destination.cancel();
            assertEquals(MigrationStatus.CANCELLED, destination.result().get(30, TimeUnit.SECONDS).status());
        }
        assertFalse(Files.exists(MemoryFiles.partialOf(target)), "the preallocated partial file is gone");
        assertFalse(Files.exists(target));
    }

    @Test
    void aLinkOrADirectoryAsTargetIsRefusedAndLeftAlone() throws Exception {
        final Path victim = Files.write(dir.resolve("victim"), new byte[] {1, 2, 3});
        final Path link = Files.createSymbolicLink(dir.resolve("link.ram"), victim);
        for (final boolean overwrite : new boolean[] {false, true}) {
            final MemoryException file = assertThrows(MemoryException.class, () -> MemoryFactory.file(link, overwrite));
            assertTrue(file.getMessage().contains("symbolic link"), file.getMessage());
            assertThrows(MemoryException.class, () -> MemoryFactory.preallocatedFile(link, 4L << 20, true, overwrite));
            final MemoryException directory = assertThrows(MemoryException.class,
                () -> MemoryFactory.file(dir, overwrite));
            assertTrue(directory.getMessage().contains("is a directory"), directory.getMessage());
        }
        assertArrayEquals(new byte[] {1, 2, 3}, Files.readAllBytes(victim));
        assertTrue(Files.isSymbolicLink(link));
        assertTrue(Files.isDirectory(dir));
    }
}
