package dev.ferry.engine;

import dev.ferry.memory.GuestMemory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Many migrations into one listening endpoint: each placed by its guest's name and verified; a source past the
 * limit refused as busy, and let in once one ends; a name taken by one migration at a time; one migration cancelled
 * while another completes; closing the door cancels what still runs. Held-back migrations are capped at 64 KiB/s
 * (minutes for their 14 MiB) until the test lifts the cap.
 */
@Timeout(120)
final class IncomingMigrationsTest {
    @TempDir
    Path dir;

    @Test
    void threeGuestsAtOnceThroughOnePortLandAsTheirNames() throws Exception {
        final List<GuestMemory> guests = new ArrayList<>();
        final List<MigrationSource> sources = new ArrayList<>();
        try (IncomingMigrations incoming = IncomingMigrations.start(context(), 3)) {
            for (final String name : List.of("web-1", "web-2", "db-1")) {
                final GuestMemory guest = Guests.filled(Guests.anonymous(Guests.SPECS), name.hashCode());
                guests.add(guest);
                sources.add(source(incoming, guest, name, 0));
            }
            for (int i = 0; i < 3; i++) {
                final Migration received = incoming.next(30, TimeUnit.SECONDS);
                assertNotNull(received, "the source " + i + " came in");
                final MigrationResult result = received.result().get();
                assertEquals(MigrationStatus.COMPLETED, result.status(), result.error());
                assertTrue(result.verified());
                result.memory().close();
            }
            for (int i = 0; i < 3; i++) {
                assertEquals(MigrationStatus.COMPLETED, sources.get(i).result().get().status());
                assertEquals(guests.get(i).totalBytes(), Files.size(dir.resolve(List.of("web-1", "web-2", "db-1").get(i))));
            }
        } finally {
            close(sources, guests);
        }
    }

    @Test
    void aSourcePastTheLimitIsBusyAndOneAfterTheEndGetsIn() throws Exception {
        final List<GuestMemory> guests = guests(1, 2, 3);
        final List<MigrationSource> sources = new ArrayList<>();
        try (IncomingMigrations incoming = IncomingMigrations.start(context(), 1)) {
            sources.add(source(incoming, guests.get(0), "held", 64 << 10));
            final Migration first = incoming.next(30, TimeUnit.SECONDS);
            assertNotNull(first, "the first is in");
            sources.add(source(incoming, guests.get(1), "turned-away", 0));
            final MigrationResult busy = sources.get(1).result().get();
            assertEquals(MigrationStatus.FAILED, busy.status());
            assertEquals(ErrorCode.DESTINATION_BUSY, busy.errorCode());
            assertTrue(busy.error().contains("the destination is busy: it is receiving 1 migration at once, its " +
                "limit"), busy.error());
            // The door counts the refusal after writing its answer: the source may have failed on it a moment before.
            final long countedBy = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (incoming.rejectedConnections() < 1 && System.nanoTime() - countedBy < 0) {
                Thread.sleep(5);
            }
            assertTrue(incoming.rejectedConnections() >= 1, "the busy source is counted as refused at the door");
            sources.get(0).maxBandwidthBytesPerSec(0);
            assertEquals(MigrationStatus.COMPLETED, sources.get(0).result().get().status());
            first.result().get().memory().close(); // the destination's side has ended too: its place is free
            sources.add(source(incoming, guests.get(2), "later", 0));
            final Migration later = incoming.next(30, TimeUnit.SECONDS);
            assertNotNull(later, "a source after the first ended gets in");
            assertEquals(MigrationStatus.COMPLETED, later.result().get().status(), later.result().get().error());
            later.result().get().memory().close();
        } finally {
            close(sources, guests);
        }
    }

    @Test
    void aNameIsTakenByOneMigrationAtATimeAndOneCancelledLeavesTheOtherRunning() throws Exception {
        final List<GuestMemory> guests = guests(4, 5, 6);
        final List<MigrationSource> sources = new ArrayList<>();
        try (IncomingMigrations incoming = IncomingMigrations.start(context(), 3)) {
            sources.add(source(incoming, guests.get(0), "vm", 64 << 10));
            final Migration first = incoming.next(30, TimeUnit.SECONDS);
            awaitSetUp(first);
            sources.add(source(incoming, guests.get(1), "vm", 0));
            final MigrationResult twice = sources.get(1).result().get();
            assertEquals(ErrorCode.SETUP_REFUSED, twice.errorCode(), twice.error());
            assertTrue(twice.error().contains("cannot take guest 'vm'"), twice.error());
            sources.add(source(incoming, guests.get(2), "other", 64 << 10));
            incoming.next(30, TimeUnit.SECONDS); // the refused one
            final Migration other = incoming.next(30, TimeUnit.SECONDS);
            first.cancel("the operator moved it elsewhere");
            assertEquals(MigrationStatus.CANCELLED, first.result().get().status());
            assertFalse(Files.exists(dir.resolve("vm")), "a cancelled guest leaves no file");
            sources.get(2).maxBandwidthBytesPerSec(0);
            final MigrationResult done = other.result().get();
            assertEquals(MigrationStatus.COMPLETED, done.status(), done.error());
            done.memory().close();
        } finally {
            close(sources, guests);
        }
    }

    /**
     * A guest refused at SETUP after its name was claimed (its memory could not be made) gives the name back; a door
     * taking one guest in all answers every later source busy.
     */
    @Test
    void aRefusedGuestGivesItsNameBackAndATotalLimitHolds() throws Exception {
        final GuestMemory guest = Guests.filled(Guests.anonymous(Guests.SPECS), 8);
        final List<MigrationSource> sources = new ArrayList<>();
        final int[] attempts = new int[1];
        try (IncomingMigrations incoming = IncomingMigrations.start(new MigrationDestination.Context()
            .secret(Guests.SECRET).memoryFor(name -> ++attempts[0] == 1 ? MemoryFactory.inDirectory(dir.resolve("none"),
                false).apply(name) : MemoryFactory.inDirectory(dir, false).apply(name)), 2, 2)) {
            sources.add(source(incoming, guest, "vm", 0));
            assertEquals(ErrorCode.SETUP_REFUSED, sources.get(0).result().get().errorCode(), "no such directory");
            sources.add(source(incoming, guest, "vm", 0));
            assertEquals(MigrationStatus.COMPLETED, sources.get(1).result().get().status(),
                sources.get(1).result().get().error());
            sources.add(source(incoming, guest, "vm-3", 0));
            final MigrationResult third = sources.get(2).result().get();
            assertTrue(third.error().contains("the destination is busy: it has taken the 2 migrations"),
                "two in all: " + third.error());
            for (int i = 0; i < 2; i++) {
                final MigrationResult received = incoming.next(30, TimeUnit.SECONDS).result().get();
                if (null != received.memory()) {
                    received.memory().close();
                }
            }
        } finally {
            close(sources, List.of(guest));
        }
    }

    @Test
    void closingTheDoorCancelsWhatRunsAndLeavesNoFile() throws Exception {
        final GuestMemory guest = Guests.filled(Guests.anonymous(Guests.SPECS), 7);
        final List<MigrationSource> sources = new ArrayList<>();
        try {
            final IncomingMigrations incoming = IncomingMigrations.start(context(), 2);
            sources.add(source(incoming, guest, "held", 64 << 10));
            final Migration held = incoming.next(30, TimeUnit.SECONDS);
            awaitSetUp(held);
            incoming.close();
            assertEquals(MigrationStatus.CANCELLED, held.result().get().status());
            assertFalse(sources.get(0).result().get().isCompleted());
            try (var files = Files.list(dir)) {
                assertEquals(List.of(), files.toList(), "no guest file, no partial file");
            }
        } finally {
            close(sources, List.of(guest));
        }
    }

    /** Guests of the standard layout, filled from {@code seeds}. */
    private static List<GuestMemory> guests(final int... seeds) {
        final List<GuestMemory> guests = new ArrayList<>();
        for (final int seed : seeds) {
            guests.add(Guests.filled(Guests.anonymous(Guests.SPECS), seed));
        }
        return guests;
    }

    private MigrationDestination.Context context() {
        return new MigrationDestination.Context().secret(Guests.SECRET)
            .memoryFor(MemoryFactory.inDirectory(dir, false));
    }

    private static MigrationSource source(final IncomingMigrations incoming, final GuestMemory guest, final String name,
        final long capBytesPerSec) {
        return MigrationSource.start(new MigrationSource.Context().destination(incoming.localAddress()).memory(guest)
            .secret(Guests.SECRET).name(name).maxBandwidthBytesPerSec(capBytesPerSec));
    }

    /** Until the migration's SETUP made its memory (its first pages are moving). */
    private static void awaitSetUp(final Migration migration) throws InterruptedException {
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (migration.stats().totalBytes() == 0 && System.nanoTime() - deadlineNs < 0) {
            Thread.sleep(5);
        }
        assertTrue(migration.stats().totalBytes() > 0, "SETUP within 30 s");
    }

    private static void close(final List<MigrationSource> sources, final List<GuestMemory> guests) {
        sources.forEach(MigrationSource::close);
        guests.forEach(GuestMemory::close);
    }
}
