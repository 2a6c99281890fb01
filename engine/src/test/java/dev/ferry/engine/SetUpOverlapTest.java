package dev.ferry.engine;

import dev.ferry.memory.BlockSpec;
import dev.ferry.memory.GuestMemory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The set-up's overlap (data channels dialed and senders started while SETUP-ACK comes back) at its edges: a SETUP
 * slower than the door holds a data channel, a data channel that never gets an answer and a cancel meanwhile, and
 * migrations of many channels into one runtime's counters file at once.
 */
@Timeout(120)
final class SetUpOverlapTest {
    private static final List<BlockSpec> SMALL = List.of(new BlockSpec(0, "pc.ram", 4L << 20));

    @TempDir
    Path dir;

    /** Refused while the door held them (SETUP took 2.5 s, longer than the 2 s hold): dialed again, and it runs. */
    @Test
    void dataChannelsRefusedForASlowSetUpAreDialedAgain() throws Exception {
        try (GuestMemory guest = Guests.filled(Guests.anonymous(SMALL), 1);
             MigrationDestination destination = MigrationDestination.start(new MigrationDestination.Context()
                 .secret(Guests.SECRET).warnings(warning -> { }).memoryFactory(slowly(2_500)));
             MigrationSource source = MigrationSource.start(new MigrationSource.Context()
                 .destination(destination.localAddress()).memory(guest).secret(Guests.SECRET).channels(4))) {
            final MigrationResult sent = source.result().get(60, TimeUnit.SECONDS);
            assertEquals(MigrationStatus.COMPLETED, sent.status(), sent.error());
            final MigrationResult received = destination.result().get(30, TimeUnit.SECONDS);
            Guests.assertSameMemory(guest, received.memory());
            received.memory().close();
        }
    }

    /**
     * A data channel whose HELLO never reaches the destination (a proxy stalls it) holds the set-up until its
     * deadline; a cancel meanwhile ends the migration at once, and its dial's threads and sockets with it.
     */
    @Test
    void aCancelDuringTheDataChannelsDialEndsItsThreads() throws Exception {
        try (GuestMemory guest = Guests.filled(Guests.anonymous(SMALL), 2);
             MigrationDestination destination = MigrationDestination.start(new MigrationDestination.Context()
                 .secret(Guests.SECRET).warnings(warning -> { }).firstBytesTimeoutMs(60_000)
                 .handshakeTimeoutMs(60_000)); // it waits as long as the source would: nothing but the cancel ends it
             FaultProxy proxy = new FaultProxy(destination.localAddress(),
                 new FaultProxy.Fault(1, true, 0, FaultProxy.Kind.STALL))) {
            final MigrationSource source = MigrationSource.start(new MigrationSource.Context()
                .destination(proxy.address()).memory(guest).secret(Guests.SECRET).channels(3)
                .connectTimeoutMs(60_000));
            final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (proxy.firedNs() == 0 && System.nanoTime() - deadlineNs < 0) {
                Thread.sleep(5);
            }
            assertTrue(proxy.firedNs() > 0, "data channel 0 reached the stall");
            Thread.sleep(200);
            final long cancelNs = System.nanoTime();
            source.cancel();
            assertEquals(MigrationStatus.CANCELLED, source.result().get(10, TimeUnit.SECONDS).status());
            assertTrue(System.nanoTime() - cancelNs < TimeUnit.SECONDS.toNanos(10), "the cancel was prompt");
            source.close();
            assertEquals(Set.of(), awaitNoDialThreads(), "the dial's threads ended with the migration");
            destination.cancel();
        }
    }

    /**
     * Two migrations of 64 channels each into one runtime whose counters file has room for one: the second begins
     * while the first's SETUP is still being made (it takes 1 s), before either has made its 384 channel counters.
     * Each reserves its room when it begins, so the second keeps its counters in memory and both complete; before,
     * both found room at their start and the first found the file full at its SETUP, and failed. Their data
     * channels connect one migration after the other, so that the door never has more than 64 handshakes at once
     * on this 2-core machine.
     */
    @Test
    void aMigrationThatFindsNoRoomInTheCountersFileRunsAllTheSame() throws Exception {
        final List<GuestMemory> guests = new ArrayList<>();
        final List<MigrationSource> sources = new ArrayList<>();
        try (MigrationRuntime receiver = MigrationRuntime.start(new MigrationRuntime.Context().maxIncoming(2)
                 .countersDirectory(dir.resolve("in")).incoming(new MigrationDestination.Context()
                     .secret(Guests.SECRET).memoryFor(name -> "wide-0".equals(name) ? slowly(1_000) :
                         MemoryFactory.anonymous())));
             MigrationRuntime sender = MigrationRuntime.start(new MigrationRuntime.Context()
                 .countersDirectory(dir.resolve("out")))) {
            final List<Migration> incoming = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                guests.add(Guests.filled(Guests.anonymous(SMALL), 10 + i));
            }
            for (int i = 0; i < 2; i++) {
                sources.add(sender.send(new MigrationSource.Context().destination(receiver.localAddress())
                    .memory(guests.get(i)).secret(Guests.SECRET).name("wide-" + i).channels(64)));
                incoming.add(receiver.nextIncoming(30, TimeUnit.SECONDS)); // its session has begun
            }
            for (int i = 0; i < 2; i++) {
                final MigrationResult sent = sources.get(i).result().get(60, TimeUnit.SECONDS);
                assertEquals(MigrationStatus.COMPLETED, sent.status(), sent.error());
                final MigrationResult received = incoming.get(i).result().get(30, TimeUnit.SECONDS);
                assertEquals(MigrationStatus.COMPLETED, received.status(), received.error());
                received.memory().close();
            }
        } finally {
            sources.forEach(MigrationSource::close);
            guests.forEach(GuestMemory::close);
        }
        try (MigrationRuntime huge = MigrationRuntime.start(new MigrationRuntime.Context().maxIncoming(Integer.MAX_VALUE)
            .maxOutgoing(Integer.MAX_VALUE).countersDirectory(dir.resolve("huge")))) {
            assertTrue(Files.isRegularFile(huge.countersFile()), "limits past any file's size start a runtime all the " +
                "same, its counters file made at the largest size a file may have");
        }
    }

    /** Fresh anonymous memory, made {@code delayMs} after SETUP asks for it. */
    private static MemoryFactory slowly(final long delayMs) {
        final MemoryFactory anonymous = MemoryFactory.anonymous();
        return new MemoryFactory() {
            @Override
            public GuestMemory create(final List<BlockSpec> specs, final int pageSizeBytes) {
                try {
                    Thread.sleep(delayMs);
                } catch (final InterruptedException ex) {
                    Thread.currentThread().interrupt();
                }
                return anonymous.create(specs, pageSizeBytes);
            }

            @Override
            public void discard(final GuestMemory memory) {
                anonymous.discard(memory);
            }
        };
    }

    private static Set<String> awaitNoDialThreads() throws InterruptedException {
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        Set<String> dialing;
        do {
            Thread.sleep(20);
            dialing = Guests.ferryThreads().stream().filter(name -> name.startsWith("ferry-dial"))
                .collect(Collectors.toSet());
        } while (!dialing.isEmpty() && System.nanoTime() - deadlineNs < 0);
        return dialing;
    }
}
