package dev.ferry.engine;

import dev.ferry.engine.channel.Connection;
import dev.ferry.engine.channel.Handshake;
import dev.ferry.engine.protocol.HandshakeFlyweight;
import dev.ferry.memory.BlockSpec;
import dev.ferry.memory.GuestMemory;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ScatteringByteChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * No one who lacks the secret can lock the real source out, even from its own address (a NAT, the same host): an
 * attacker on 127.0.0.1, where the source is, holding stalled HELLOs, trickling HELLOs a byte at a time, or flooding
 * garbage, each connection reopened the moment it is cut, while a real send of a small guest runs. CI runs a few
 * sends per attack; {@code -Dferry.attack.runs=20} (or {@code -Pslow}) runs the series of docs/reliability.md.
 */
final class LockoutTest {
    private static final List<BlockSpec> SMALL = List.of(new BlockSpec(0, "pc.ram", 2L << 20));
    private static final int CI_RUNS = 2;
    private static final int SERIES_RUNS = 20;

    @ParameterizedTest
    @EnumSource(value = Attackers.Kind.class, names = {"STALLED_HELLO", "TRICKLE", "GARBAGE"})
    @Timeout(180)
    void aRealSendCompletesWhileAttackedFromItsOwnAddress(final Attackers.Kind kind) throws Exception {
        series(kind, Integer.getInteger("ferry.attack.runs", CI_RUNS));
    }

    @ParameterizedTest
    @EnumSource(value = Attackers.Kind.class, names = {"STALLED_HELLO", "TRICKLE", "GARBAGE"})
    @Tag("slow")
    @Timeout(900)
    void twentyRealSendsCompleteWhileAttackedFromTheirOwnAddress(final Attackers.Kind kind) throws Exception {
        series(kind, Integer.getInteger("ferry.attack.runs", SERIES_RUNS));
    }

    /** {@code runs} real sends of a small guest over 4 channels, each under a fresh attack: every one must verify. */
    private static void series(final Attackers.Kind kind, final int runs) throws Exception {
        final List<String> failures = new ArrayList<>();
        // The flood must be in full swing when the source connects: 200 connections (0.2 s) first.
        final int warmUp = kind == Attackers.Kind.GARBAGE ? 200 : Attackers.HELD;
        long opened = 0;
        for (int run = 0; run < runs; run++) {
            final List<String> warnings = new CopyOnWriteArrayList<>();
            try (MigrationDestination destination = MigrationDestination.start(new MigrationDestination.Context()
                .secret(Guests.SECRET).warnings(warnings::add));
                 Attackers attackers = new Attackers(kind, destination.localAddress(), "127.0.0.1")
                     .awaitOpened(warmUp, 10_000);
                 GuestMemory source = Guests.filled(Guests.anonymous(SMALL), run)) {
                final MigrationResult result = MigrationSource.start(new MigrationSource.Context()
                    .destination(destination.localAddress()).memory(source).secret(Guests.SECRET).channels(4))
                    .result().get(60, TimeUnit.SECONDS);
                if (result.status() == MigrationStatus.COMPLETED) {
                    final MigrationResult received = destination.result().get(30, TimeUnit.SECONDS);
                    assertTrue(received.verified());
                    Guests.assertSameMemory(source, received.memory());
                    received.memory().close();
                } else {
                    failures.add("run " + run + ": " + result.error() + "; destination: " + warnings);
                }
                opened += attackers.opened();
            }
        }
        System.out.println("LockoutTest: " + kind + ": " + (runs - failures.size()) + " of " + runs +
            " sends completed; attacker connections made: " + opened);
        assertEquals(List.of(), failures, kind + ": " + failures.size() + " of " + runs + " sends failed");
        assertTrue(opened > (long)runs * warmUp, "the attack went on during the sends: " + opened + " connections");
    }

    /**
     * The rule itself, without the luck of timing: a real client that takes 40 ms to answer the CHALLENGE (a loaded
     * host) while 16 attackers on its own address, each with a whole valid HELLO, reconnect the moment they are cut.
     * A rule that displaces the oldest connection in handshake lets that chain of displacements reach the client
     * within milliseconds; inside its turn the client must not be displaced at all.
     */
    @Test
    @Timeout(120)
    void aSlowRealHandshakeOutlastsAChainOfDisplacementsFromItsOwnAddress() throws Exception {
        try (MigrationDestination destination = MigrationDestination.start(new MigrationDestination.Context()
            .secret(Guests.SECRET).warnings(warning -> { }));
             Attackers attackers = new Attackers(Attackers.Kind.WHOLE_HELLO, destination.localAddress(), "127.0.0.1")
                 .awaitOpened(Attackers.HELD, 10_000)) {
            for (int attempt = 0; attempt < 3; attempt++) {
                final long cutBefore = attackers.cut();
                try (Connection connection = Connection.connect(destination.localAddress(), 10_000, "real client")) {
                    connection.decorateInput(new SlowToAnswer(connection.socket(), 40));
                    Handshake.client(connection, Guests.SECRET, Handshake.newSessionId(),
                        HandshakeFlyweight.KIND_DATA, 0, 2);
                    throw new AssertionError("a data channel before any session is refused by the destination");
                } catch (final IOException | RuntimeException ex) {
                    assertTrue(ex.getMessage().contains("no migration session"), "attempt " + attempt +
                        ": the real client must reach the destination's admission (authenticated, told there is no" +
                        " session yet), not be cut in its handshake: " + ex);
                }
                assertTrue(attackers.cut() > cutBefore, "the attackers were being displaced meanwhile");
            }
        }
    }

    /**
     * Waiting for a slot is per address: 200 stalled HELLOs from 127.0.0.2, each reopened when cut, hold that
     * address's slots and queue behind them, and the source on 127.0.0.1 is not in that queue. (A door that made
     * every newcomer wait in one line, the kernel's, took 30 s for this send: 200 connections at 8 per 250 ms turn.)
     */
    @Test
    @Timeout(120)
    void anotherAddressQueueDoesNotDelayTheSource() throws Exception {
        try (MigrationDestination destination = MigrationDestination.start(new MigrationDestination.Context()
            .secret(Guests.SECRET).warnings(warning -> { }));
             Attackers attackers = new Attackers(Attackers.Kind.WHOLE_HELLO, destination.localAddress(), "127.0.0.2",
                 200).awaitOpened(200, 20_000);
             GuestMemory source = Guests.filled(Guests.anonymous(SMALL), 5)) {
            final long startNs = System.nanoTime();
            final MigrationResult result = MigrationSource.start(new MigrationSource.Context()
                .destination(destination.localAddress()).memory(source).secret(Guests.SECRET).channels(4)).result()
                .get(60, TimeUnit.SECONDS);
            final long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs);
            assertEquals(MigrationStatus.COMPLETED, result.status(), result.error());
            assertTrue(tookMs < 15_000, "the send waited behind another address's queue: " + tookMs + " ms");
            destination.result().get(30, TimeUnit.SECONDS).memory().close();
        }
    }

    /**
     * The door's protection holds with several migrations in flight: while attackers on the sources' own address
     * hold every handshake slot with whole HELLOs, three sources into one endpoint each get in and complete.
     */
    @Test
    @Timeout(120)
    void attackersOnTheSourcesAddressStopNoneOfSeveralMigrationsIntoOneEndpoint() throws Exception {
        final List<GuestMemory> guests = new ArrayList<>();
        final List<MigrationSource> sources = new ArrayList<>();
        try (IncomingMigrations incoming = IncomingMigrations.start(new MigrationDestination.Context()
            .secret(Guests.SECRET).warnings(warning -> { }).memoryFor(name -> MemoryFactory.anonymous()), 3);
             Attackers attackers = new Attackers(Attackers.Kind.WHOLE_HELLO, incoming.localAddress(), "127.0.0.1")
                 .awaitOpened(Attackers.HELD, 10_000)) {
            for (int i = 0; i < 3; i++) {
                guests.add(Guests.filled(Guests.anonymous(SMALL), 20 + i));
                sources.add(MigrationSource.start(new MigrationSource.Context().destination(incoming.localAddress())
                    .memory(guests.get(i)).secret(Guests.SECRET).name("vm-" + i).channels(4)));
            }
            for (int i = 0; i < 3; i++) {
                final MigrationResult result = sources.get(i).result().get(60, TimeUnit.SECONDS);
                assertEquals(MigrationStatus.COMPLETED, result.status(), "vm-" + i + ": " + result.error());
                incoming.next(30, TimeUnit.SECONDS).result().get(30, TimeUnit.SECONDS).memory().close();
            }
            assertTrue(attackers.cut() > 0, "the attack was under way (connections displaced)");
        } finally {
            sources.forEach(MigrationSource::close);
            guests.forEach(GuestMemory::close);
        }
    }

    /**
     * Connections that send nothing cost nothing, however many: 600 from the source's own address, each reopened when
     * cut, more than the destination parks (512). A parked connection that has sent nothing makes room first, and is
     * dropped once it has been silent for a turn, so the source's connections (which speak at once) are not refused.
     */
    @Test
    @Timeout(120)
    void sixHundredIdleConnectionsOnTheSourcesAddressDoNotStopIt() throws Exception {
        try (MigrationDestination destination = MigrationDestination.start(new MigrationDestination.Context()
            .secret(Guests.SECRET).warnings(warning -> { }));
             Attackers attackers = new Attackers(Attackers.Kind.IDLE, destination.localAddress(), "127.0.0.1", 600)
                 .awaitOpened(1_200, 30_000);
             GuestMemory source = Guests.filled(Guests.anonymous(SMALL), 6)) {
            final MigrationResult result = MigrationSource.start(new MigrationSource.Context()
                .destination(destination.localAddress()).memory(source).secret(Guests.SECRET).channels(4)).result()
                .get(60, TimeUnit.SECONDS);
            assertEquals(MigrationStatus.COMPLETED, result.status(), result.error());
            destination.result().get(30, TimeUnit.SECONDS).memory().close();
        }
    }

    /** A socket whose first read, once it has the server's CHALLENGE, waits {@code delayMs} before returning it. */
    private static final class SlowToAnswer implements ScatteringByteChannel {
        private final SocketChannel socket;
        private final long delayMs;
        private boolean delayed;

        SlowToAnswer(final SocketChannel socket, final long delayMs) {
            this.socket = socket;
            this.delayMs = delayMs;
        }

        @Override
        public int read(final ByteBuffer destination) throws IOException {
            final int read = socket.read(destination);
            if (!delayed && read > 0) {
                delayed = true;
                try {
                    Thread.sleep(delayMs);
                } catch (final InterruptedException ex) {
                    Thread.currentThread().interrupt();
                }
            }
            return read;
        }

        @Override
        public long read(final ByteBuffer[] destinations, final int offset, final int length) throws IOException {
            return socket.read(destinations, offset, length);
        }

        @Override
        public long read(final ByteBuffer[] destinations) throws IOException {
            return socket.read(destinations);
        }

        @Override
        public boolean isOpen() {
            return socket.isOpen();
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
