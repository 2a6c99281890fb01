package dev.ferry.engine;

import dev.ferry.engine.stats.CountersFile;
import dev.ferry.memory.GuestMemory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A runtime sending to another through its one endpoint: outgoing migrations past the limit refused (naming it) or
 * queued until a place frees, the host budget shared by those that run, drain answering sources "draining", and
 * close cancelling what runs on both sides, resuming the source guests and leaving no destination file. Held-back
 * migrations are capped at 64 KiB/s (minutes for their 14 MiB) until the test lifts the cap.
 */
@Timeout(120)
final class MigrationRuntimeTest {
    private static final long HELD = 64 << 10;

    @TempDir
    Path dir;

    @Test
    void outgoingPastTheLimitIsRefusedOrWaitsItsTurnAndEveryGuestLandsVerified() throws Exception {
        final List<GuestMemory> guests = guests(3);
        final List<MigrationSource> sources = new ArrayList<>();
        try (MigrationRuntime receiver = receiver(4);
             MigrationRuntime sender = MigrationRuntime.start(new MigrationRuntime.Context().maxOutgoing(2)
                 .outgoingWaitMs(60_000).hostBandwidthBytesPerSec(1L << 30))) {
            sources.add(sender.send(source(receiver, guests.get(0), "vm-0", HELD)));
            sources.add(sender.send(source(receiver, guests.get(1), "vm-1", HELD)));
            assertEquals(2, sender.outgoingRunning());
            awaitParticipants(sender.bandwidthBudget(), 2); // each joins on its own conductor thread
            try (MigrationRuntime impatient = MigrationRuntime.start(new MigrationRuntime.Context().maxOutgoing(1))) {
                final FerryException refused;
                try (MigrationSource held = impatient.send(source(receiver, guests.get(2), "other", HELD))) {
                    refused = assertThrows(FerryException.class,
                        () -> impatient.send(source(receiver, guests.get(2), "other-2", 0)));
                    assertFalse(held.result().isDone(), "the first still runs");
                }
                assertEquals(ErrorCode.RUNTIME_BUSY, refused.code());
                assertTrue(refused.getMessage().contains("running 1 outgoing migration at once, its limit (max " +
                    "outgoing)"), refused.getMessage());
                assertEquals(1, impatient.outgoingRefused());
            }
            final long queuedAt = System.nanoTime();
            final Thread lift = new Thread(() -> {
                sleep(300);
                sources.forEach(source -> source.maxBandwidthBytesPerSec(0));
            });
            lift.start();
            sources.add(sender.send(source(receiver, guests.get(2), "vm-2", 0))); // waits for vm-0 or vm-1 to end
            assertTrue(System.nanoTime() - queuedAt >= TimeUnit.MILLISECONDS.toNanos(250), "it waited its turn");
            lift.join();
            for (int i = 0; i < 3; i++) {
                final MigrationResult sent = sources.get(i).result().get();
                assertEquals(MigrationStatus.COMPLETED, sent.status(), sent.error());
                assertTrue(sent.verified());
            }
            for (int landed = 0; landed < 3;) {
                final Migration next = receiver.nextIncoming(30, TimeUnit.SECONDS);
                assertNotNull(next, "guest " + landed + " of 3 came in");
                final MigrationResult received = next.result().get();
                final String guest = received.stats().guest();
                if (null == guest || "other".equals(guest)) {
                    assertFalse(received.isCompleted(), "the impatient runtime's 'other' was cancelled");
                    continue; // whether or not it got as far as SETUP
                }
                landed++;
                assertEquals(MigrationStatus.COMPLETED, received.status(), received.error());
                Guests.assertSameMemory(guests.get(Integer.parseInt(received.stats().guest().substring(3))),
                    received.memory());
                received.memory().close();
            }
            assertEquals(0, sender.outgoingRunning());
            awaitParticipants(sender.bandwidthBudget(), 0);
            assertEquals(3, sender.outgoingStarted());
        } finally {
            sources.forEach(MigrationSource::close);
            guests.forEach(GuestMemory::close);
        }
        Guests.assertNoFerryThreads(); // closed runtimes and finished migrations leave no thread behind
    }

    @Test
    void closeCancelsWhatRunsResumesTheGuestsAndLeavesNoFile() throws Exception {
        final List<GuestMemory> guests = guests(2);
        final AtomicInteger paused = new AtomicInteger();
        final AtomicInteger resumed = new AtomicInteger();
        final MigrationRuntime receiver = receiver(4);
        final MigrationRuntime sender = MigrationRuntime.start(new MigrationRuntime.Context());
        final List<MigrationSource> sources = new ArrayList<>();
        try {
            for (int i = 0; i < 2; i++) {
                sources.add(sender.send(source(receiver, guests.get(i), "vm-" + i, HELD).guestControl(new GuestControl() {
                    @Override
                    public void pause() {
                        paused.incrementAndGet();
                    }

                    @Override
                    public void resume() {
                        resumed.incrementAndGet();
                    }
                })));
            }
            final Migration in = receiver.nextIncoming(30, TimeUnit.SECONDS);
            assertNotNull(in);
            sender.close();
            for (final MigrationSource source : sources) {
                assertEquals(MigrationStatus.CANCELLED, source.result().getNow(null).status(), "ended by close()");
            }
            assertEquals(paused.get(), resumed.get(), "no source guest is left paused");
            receiver.close();
            assertTrue(in.result().get().status() != MigrationStatus.COMPLETED);
            try (var files = Files.list(dir)) {
                assertEquals(List.of(), files.toList(), "no guest file, no partial file");
            }
            final FerryException closed = assertThrows(FerryException.class,
                () -> sender.send(source(receiver, guests.get(0), "late", 0)));
            assertEquals(ErrorCode.RUNTIME_BUSY, closed.code());
        } finally {
            receiver.close();
            sources.forEach(MigrationSource::close);
            guests.forEach(GuestMemory::close);
        }
    }

    @Test
    void aDrainingRuntimeAnswersSourcesBusyDrainingAndFinishesWhatRuns() throws Exception {
        final List<GuestMemory> guests = guests(2);
        final List<MigrationSource> sources = new ArrayList<>();
        try (MigrationRuntime receiver = receiver(4)) {
            sources.add(MigrationSource.start(source(receiver, guests.get(0), "vm-0", HELD)));
            final Migration running = receiver.nextIncoming(30, TimeUnit.SECONDS);
            receiver.drain();
            sources.add(MigrationSource.start(source(receiver, guests.get(1), "vm-1", 0)));
            final MigrationResult refused = sources.get(1).result().get();
            assertEquals(ErrorCode.DESTINATION_BUSY, refused.errorCode());
            assertTrue(refused.error().contains("busy: it is draining"), refused.error());
            sources.get(0).maxBandwidthBytesPerSec(0);
            assertEquals(MigrationStatus.COMPLETED, running.result().get().status(), "what ran goes on");
            running.result().get().memory().close();
            assertNull(receiver.nextIncoming(10, TimeUnit.MILLISECONDS));
        } finally {
            sources.forEach(MigrationSource::close);
            guests.forEach(GuestMemory::close);
        }
    }

    @Test
    void oneCountersFileHoldsEveryMigrationByNameAndRoleAndTheRuntimesTotals() throws Exception {
        final List<GuestMemory> guests = guests(2);
        final List<MigrationSource> sources = new ArrayList<>();
        final Path out = dir.resolve("counters-out");
        final Path in = dir.resolve("counters-in");
        try (MigrationRuntime receiver = MigrationRuntime.start(new MigrationRuntime.Context().countersDirectory(in)
                 .incoming(new MigrationDestination.Context().secret(Guests.SECRET)
                     .memoryFor(MemoryFactory.inDirectory(dir, false))));
             MigrationRuntime sender = MigrationRuntime.start(new MigrationRuntime.Context().countersDirectory(out))) {
            for (int i = 0; i < 2; i++) {
                sources.add(sender.send(source(receiver, guests.get(i), "vm-" + i, HELD)));
            }
            final List<Migration> incoming = List.of(receiver.nextIncoming(30, TimeUnit.SECONDS),
                receiver.nextIncoming(30, TimeUnit.SECONDS));
            awaitCounter(out, "runtime", "migrations-running-out", 2);
            awaitCounter(in, "runtime", "migrations-running-in", 2);
            for (final Migration migration : incoming) {
                awaitSetUp(migration);
            }
            for (final String guest : List.of("vm-0", "vm-1")) {
                awaitCounter(out, "source", guest + ": total-bytes", guests.get(0).totalBytes());
                awaitCounter(in, "destination", guest + ": total-bytes", guests.get(0).totalBytes());
            }
            try (var files = Files.list(out)) {
                assertEquals(1, files.count(), "one file for the runtime and all its migrations");
            }
            sources.forEach(source -> source.maxBandwidthBytesPerSec(0));
            for (int i = 0; i < 2; i++) {
                assertEquals(MigrationStatus.COMPLETED, sources.get(i).result().get().status());
                incoming.get(i).result().get().memory().close();
            }
            sources.forEach(MigrationSource::close);
            long sent = 0;
            for (final MigrationSource source : sources) {
                sent += source.result().get().stats().transferredBytes();
            }
            assertEquals(sent, sender.bytesOut(), "the runtime's bytes out are its migrations'");
            assertTrue(receiver.bytesIn() > guests.get(0).totalBytes() / 4, receiver.bytesIn() + " bytes in");
            awaitCounter(out, "runtime", "migrations-running-out", 0);
            awaitCounter(in, "runtime", "migrations-running-in", 0);
            assertTrue(CountersFile.readAll(out).stream().noneMatch(sample -> sample.label().startsWith("vm-")),
                "an ended migration's counters are freed");
        } finally {
            sources.forEach(MigrationSource::close);
            guests.forEach(GuestMemory::close);
        }
        try (var files = Files.list(out)) {
            assertEquals(0, files.count(), "a closed runtime removes its file");
        }
    }

    /** A handle closed after its runtime (whose counters file is gone by then) reads and frees nothing there. */
    @Test
    void aMigrationsHandleOutlivesItsRuntimesCountersFile() throws Exception {
        final Path out = dir.resolve("counters-out");
        try (GuestMemory guest = guests(1).get(0); MigrationRuntime receiver = receiver(1)) {
            final MigrationSource source;
            try (MigrationRuntime sender = MigrationRuntime.start(new MigrationRuntime.Context()
                .countersDirectory(out))) {
                source = sender.send(source(receiver, guest, "vm-0", 0));
                assertEquals(MigrationStatus.COMPLETED, source.result().get().status());
                receiver.nextIncoming(30, TimeUnit.SECONDS).result().get().memory().close();
            }
            try (var files = Files.list(out)) {
                assertEquals(0, files.count(), "the runtime's file is gone");
            }
            assertEquals(guest.totalBytes(), source.stats().totalBytes(), "the final statistics stay");
            source.close(); // frees nothing in the unmapped file: no crash
        }
    }

    @Test
    void aRuntimeWithoutAnEndpointOnlySendsAndItsContextIsCheckedOnce() {
        try (MigrationRuntime sender = MigrationRuntime.start(new MigrationRuntime.Context())) {
            assertNull(sender.localAddress());
            assertEquals(ErrorCode.CONFIGURATION, assertThrows(FerryException.class,
                () -> sender.nextIncoming(1, TimeUnit.MILLISECONDS)).code());
        }
        assertEquals(ErrorCode.CONFIGURATION, assertThrows(FerryException.class,
            () -> MigrationRuntime.start(new MigrationRuntime.Context().maxOutgoing(0))).code());
        final MigrationRuntime.Context used = new MigrationRuntime.Context().conclude();
        assertEquals(ErrorCode.CONFIGURATION, assertThrows(FerryException.class, () -> used.maxIncoming(2)).code());
    }

    private MigrationRuntime receiver(final int maxIncoming) {
        return MigrationRuntime.start(new MigrationRuntime.Context().maxIncoming(maxIncoming)
            .incoming(new MigrationDestination.Context().secret(Guests.SECRET)
                .memoryFor(MemoryFactory.inDirectory(dir, false))));
    }

    private static MigrationSource.Context source(final MigrationRuntime receiver, final GuestMemory guest,
        final String name, final long capBytesPerSec) {
        return new MigrationSource.Context().destination(receiver.localAddress()).memory(guest).secret(Guests.SECRET)
            .name(name).maxBandwidthBytesPerSec(capBytesPerSec);
    }

    private static List<GuestMemory> guests(final int count) {
        final List<GuestMemory> guests = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            guests.add(Guests.filled(Guests.anonymous(Guests.SPECS), 31 + i));
        }
        return guests;
    }

    /** Until {@code directory}'s counters show {@code label} of {@code role} at {@code expected}. */
    private static void awaitCounter(final Path directory, final String role, final String label, final long expected)
        throws Exception {
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        List<CountersFile.Sample> found;
        do {
            Thread.sleep(5);
            found = CountersFile.readAll(directory).stream()
                .filter(sample -> sample.role().equals(role) && sample.label().equals(label)).toList();
        } while ((found.size() != 1 || found.get(0).value() != expected) && System.nanoTime() - deadlineNs < 0);
        assertEquals(1, found.size(), role + " " + label + " once in " + CountersFile.readAll(directory));
        assertEquals(expected, found.get(0).value(), role + " " + label);
    }

    /** Until the migration's SETUP made its memory (its first pages are moving). */
    private static void awaitSetUp(final Migration migration) throws InterruptedException {
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (migration.stats().totalBytes() == 0 && System.nanoTime() - deadlineNs < 0) {
            Thread.sleep(5);
        }
        assertTrue(migration.stats().totalBytes() > 0, "SETUP within 30 s");
    }

    private static void awaitParticipants(final BandwidthBudget budget, final int expected)
        throws InterruptedException {
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (budget.participants() != expected && System.nanoTime() - deadlineNs < 0) {
            Thread.sleep(5);
        }
        assertEquals(expected, budget.participants(), "migrations sharing the host budget");
    }

    private static void sleep(final long ms) {
        try {
            Thread.sleep(ms);
        } catch (final InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
    }
}
