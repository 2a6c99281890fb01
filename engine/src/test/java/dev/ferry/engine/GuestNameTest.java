package dev.ferry.engine;

import dev.ferry.memory.GuestMemory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A guest's name decides where it lands on the destination: only names that are one plain file name get through,
 * on the source (before anything is sent) and again on the destination (whatever a source sends).
 */
final class GuestNameTest {
    @TempDir
    Path dir;

    @Test
    void plainFileNamesPassAndAnythingThatCouldEscapeADirectoryIsRefusedInWords() {
        for (final String good : List.of("guest", "web-01.vm", "a", "A_b.c-9", "x".repeat(GuestName.MAX_LENGTH))) {
            assertNull(GuestName.problem(good), good);
        }
        assertProblem("", "empty");
        assertProblem("x".repeat(GuestName.MAX_LENGTH + 1), "65 characters is too long");
        assertProblem(".", "starts with '.'");
        assertProblem("..", "starts with '.'");
        assertProblem(".hidden", "starts with '.'");
        assertProblem("a/b", "a path separator '/' at 1");
        assertProblem("..\\b", "starts with '.'");
        assertProblem("a\\b", "a path separator '\\' at 1");
        assertProblem("a b", "' ' at 1");
        assertProblem("caf\u00e9", "U+00E9 at 3");
        assertProblem("bell\u0007", "'bell?' has the character U+0007");
        assertProblem("vm1.4242.partial", "ends in '.partial'");
        assertEquals(ErrorCode.CONFIGURATION,
            assertThrows(FerryException.class, () -> GuestName.require("../etc")).code());
    }

    @Test
    @Timeout(60)
    void aNamedGuestLandsInItsDirectoryAsItsName() throws Exception {
        final Path guests = Files.createDirectory(dir.resolve("guests"));
        try (GuestMemory source = Guests.filled(Guests.anonymous(Guests.SPECS), 5);
             MigrationDestination destination = MigrationDestination.start(new MigrationDestination.Context()
                 .secret(Guests.SECRET).memoryFor(MemoryFactory.inDirectory(guests, false)))) {
            try (MigrationSource migration = MigrationSource.start(new MigrationSource.Context()
                .destination(destination.localAddress()).memory(source).secret(Guests.SECRET).name("web-01.vm"))) {
                final MigrationResult sent = migration.result().get();
                assertEquals(MigrationStatus.COMPLETED, sent.status(), sent.error());
            }
            final MigrationResult received = destination.result().get();
            assertEquals(MigrationStatus.COMPLETED, received.status(), received.error());
            Guests.assertSameMemory(source, received.memory());
            received.memory().close();
            assertEquals(List.of("web-01.vm"), Files.list(guests).map(p -> p.getFileName().toString()).toList());
            assertEquals(source.totalBytes(), Files.size(guests.resolve("web-01.vm")));
        }
    }

    @Test
    @Timeout(60)
    void aGuestTheDestinationDoesNotTakeIsRefusedBeforeAnyPageMoves() throws Exception {
        try (GuestMemory source = Guests.filled(Guests.anonymous(Guests.SPECS), 6);
             MigrationDestination destination = MigrationDestination.start(new MigrationDestination.Context()
                 .secret(Guests.SECRET).memoryFor(name -> name.startsWith("db-") ? MemoryFactory.anonymous() : null))) {
            try (MigrationSource migration = MigrationSource.start(new MigrationSource.Context()
                .destination(destination.localAddress()).memory(source).secret(Guests.SECRET).name("web-02"))) {
                final MigrationResult sent = migration.result().get();
                assertEquals(ErrorCode.SETUP_REFUSED, sent.errorCode(), sent.error());
                assertTrue(sent.error().contains("this destination takes no guest named 'web-02'"), sent.error());
                assertEquals(0, sent.stats().normalPages());
            }
            assertFalse(destination.result().get().isCompleted());
        }
    }

    @Test
    void aSourceWithAnInvalidNameIsRefusedBeforeItConnects() {
        final MigrationSource.Context context = new MigrationSource.Context().destination(new InetSocketAddress("127.0.0.1", 9))
            .memory(Guests.anonymous(Guests.SPECS)).secret(Guests.SECRET).name("../../etc/passwd");
        try {
            final FerryException refused = assertThrows(FerryException.class, context::conclude);
            assertEquals(ErrorCode.CONFIGURATION, refused.code());
            assertTrue(refused.getMessage().startsWith("the guest name '../../etc/passwd' starts with '.'"),
                refused.getMessage());
        } finally {
            context.memory().close();
        }
    }

    private static void assertProblem(final String name, final String expected) {
        final String problem = GuestName.problem(name);
        assertTrue(null != problem && problem.contains(expected), name + ": " + problem);
    }
}
