package dev.ferry.engine;

import dev.ferry.memory.BlockSpec;
import dev.ferry.memory.GuestMemory;
import dev.ferry.memory.RamBlock;
import dev.ferry.memory.internal.Fill;
import dev.ferry.memory.internal.MemoryFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A destination whose memory exists before the source connects: the embedder's own, or a prefaulted file. */
@Timeout(60)
final class PreallocatedDestinationTest {
    @TempDir
    Path dir;

    @Test
    void theEmbeddersMemoryOfUnknownContentGetsEveryZeroPageWritten() throws Exception {
        try (GuestMemory source = Guests.filled(Guests.anonymous(Guests.SPECS), 11);
             GuestMemory held = Guests.anonymous(Guests.SPECS)) {
            for (final RamBlock block : held.blocks()) {
                Fill.random(block, 99);
            }
            final MigrationResult[] results = Guests.migrate(source, MemoryFactory.existing(held));
            assertEquals(MigrationStatus.COMPLETED, results[0].status(), results[0].error());
            assertTrue(results[0].verified());
            assertTrue(results[0].stats().zeroPages() > 0, "the guest has zero pages to prove anything");
            assertSame(held, results[1].memory(), "the guest lands in the embedder's memory");
            Guests.assertSameMemory(source, held);
        }
        Guests.assertNoFerryThreads();
    }

    @Test
    void aGuestThatDoesNotFitTheEmbeddersMemoryIsRefusedAndTheMemoryLeftAlone() throws Exception {
        try (GuestMemory source = Guests.filled(Guests.anonymous(Guests.SPECS), 12);
             GuestMemory held = Guests.anonymous(List.of(new BlockSpec(0, "pc.ram", 12L << 20)))) {
            final MigrationResult[] results = Guests.migrate(source, MemoryFactory.existing(held));
            assertEquals(ErrorCode.SETUP_REFUSED, results[0].errorCode(), results[0].error());
            assertTrue(results[0].error().contains("does not fit"), results[0].error());
            assertEquals(MigrationStatus.FAILED, results[1].status());
            held.block(0).windowOfPage(0).putLong(0, 42);
            assertEquals(42, held.block(0).windowOfPage(0).getLong(0), "still mapped: the embedder owns it");
        }
    }

    @Test
    void aPrefaultedFileReceivesTheGuestAndRefusesAnotherSize() throws Exception {
        final Path file = dir.resolve("prefaulted.ram");
        final long size = 13L << 20;
        final MemoryFactory factory = MemoryFactory.preallocatedFile(file, size + 64L * Guests.PAGE, true);
        assertFalse(Files.exists(file), "the target is not touched before the guest is verified");
        assertEquals(size + 64L * Guests.PAGE, Files.size(MemoryFiles.partialOf(file)));
        try (GuestMemory source = Guests.filled(Guests.anonymous(Guests.SPECS), 13)) {
            final MigrationResult[] results = Guests.migrate(source, factory);
            assertEquals(MigrationStatus.COMPLETED, results[0].status(), results[0].error());
            try (GuestMemory received = results[1].memory()) {
                Guests.assertSameMemory(source, received);
            }
        }
        final Path other = dir.resolve("too-small.ram");
        try (GuestMemory source = Guests.filled(Guests.anonymous(Guests.SPECS), 14)) {
            final MigrationResult[] results = Guests.migrate(source, MemoryFactory.preallocatedFile(other, 4L << 20, false));
            assertEquals(ErrorCode.SETUP_REFUSED, results[0].errorCode());
            assertTrue(results[0].error().contains("holds exactly 4194304 bytes"), results[0].error());
        }
        assertFalse(Files.exists(other), "a refused destination never makes its target");
        assertFalse(Files.exists(MemoryFiles.partialOf(other)), "a refused destination deletes its partial file");
        assertTrue(Files.isRegularFile(file), "the verified guest was put in place");
        assertFalse(Files.exists(MemoryFiles.partialOf(file)), "renamed, not copied");
    }

    @Test
    void aPrefaultedFileHandsTheMappingItTouchedToTheGuest() {
        final Path file = dir.resolve("touched.ram");
        final MemoryFactory factory = MemoryFactory.preallocatedFile(file, 3L << 20, true);
        try (GuestMemory guest = factory.create(List.of(new BlockSpec(0, "ram", 2L << 20),
            new BlockSpec(1, "rom", 1L << 20)), Guests.PAGE)) {
            assertTrue(guest.block(0).isView(), "cut from the touched mapping, page tables and all");
            assertTrue(guest.block(1).isView(), "cut from the touched mapping, page tables and all");
        }
        try (GuestMemory again = MemoryFactory.preallocatedFile(file, 3L << 20, false)
            .create(List.of(new BlockSpec(0, "ram", 3L << 20)), Guests.PAGE)) {
            assertFalse(again.block(0).isView(), "nothing touched, nothing to share");
        }
    }
}
