package dev.ferry.engine;

import dev.ferry.engine.channel.Connection;
import dev.ferry.engine.channel.Handshake;
import dev.ferry.engine.cli.WorkloadGuest;
import dev.ferry.engine.protocol.HandshakeFlyweight;
import dev.ferry.memory.BlockSpec;
import dev.ferry.memory.GuestMemory;
import dev.ferry.memory.internal.Workload;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A failure anywhere ends both sides cleanly: status, no thread left, guest resumed, destination copy removed. */
final class FailureTest {
    @TempDir
    Path dir;

    /**
     * Reads through to the socket until {@code limit} bytes, then either cuts the connection or stops reading (a
     * destination host that froze) until it is closed.
     */
    static final class TruncatedChannel extends SocketReadWrapper {
        private final boolean stall;
        private long left;

        TruncatedChannel(final SocketChannel socket, final long limit, final boolean stall) {
            super(socket);
            this.left = limit;
            this.stall = stall;
        }

        @Override
        public int read(final ByteBuffer dst) throws IOException {
            if (left > 0) {
                final int limit = dst.limit();
                dst.limit(dst.position() + (int)Math.min(dst.remaining(), left));
                final int read = socket.read(dst);
                dst.limit(limit);
                left -= Math.max(0, read);
                return read;
            }
            while (stall && socket.isOpen()) {
                try {
                    Thread.sleep(10);
                } catch (final InterruptedException ex) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            socket.close();
            throw new IOException("test: connection cut");
        }
    }

    @Test
    @Timeout(60)
    void aChannelCutMidMigrationFailsBothSidesAndResumesTheGuest() throws Exception {
        final Path destinationFile = dir.resolve("destination.ram");
        try (GuestMemory source = Guests.filled(Guests.anonymous(Guests.SPECS), 1);
             Workload workload = new Workload(source.block(0), 0, 256, 1, 10_000, 1).start()) {
            final MigrationDestination destination = MigrationDestination.start(new MigrationDestination.Context()
                .secret(Guests.SECRET).memoryFactory(MemoryFactory.file(destinationFile))
                .channelDecorator((index, socket) -> index == 1 ? new TruncatedChannel(socket, 2L << 20, false) : socket));
            final MigrationSource migration = MigrationSource.start(new MigrationSource.Context()
                .destination(destination.localAddress()).memory(source).secret(Guests.SECRET).channels(3)
                .maxRounds(1).guestControl(WorkloadGuest.of(workload)));
            final MigrationResult src = migration.result().get(10, TimeUnit.SECONDS);
            final MigrationResult dst = destination.result().get(10, TimeUnit.SECONDS);
            assertEquals(MigrationStatus.FAILED, src.status());
            assertEquals(MigrationStatus.FAILED, dst.status());
            assertTrue(dst.error().contains("data channel 1"), dst.error());
            assertTrue(src.error().contains("data channel 1"), "the source learns why: " + src.error());
            assertFalse(workload.isPaused(), "the guest must run again on the source");
            final long writes = workload.writes();
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (workload.writes() == writes && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertTrue(workload.writes() > writes, "the resumed guest writes again");
            assertFalse(Files.exists(destinationFile), "the destination's partial copy must be removed");
            assertEquals(null, dst.memory());
            assertEquals("failed", src.stats().status());
        }
        Guests.assertNoFerryThreads();
    }

    /**
     * Channel 0's destination stops reading. With more pages per channel than its packet pool holds (64 packets,
     * 32 MiB) the migration thread waits for a free packet; with fewer, but more than the loopback socket buffers
     * hold (a few MiB), it queues everything and waits at the SYNC barrier. Either wait is bounded (1 s here, on
     * both sides): the source fails naming the channel, and so does the destination.
     */
    private void stalledChannel(final long guestBytes, final ErrorCode expected, final String named) throws Exception {
        try (GuestMemory source = Guests.filled(Guests.anonymous(List.of(new BlockSpec(0, "pc.ram", guestBytes))), 7)) {
            final MigrationDestination destination = MigrationDestination.start(new MigrationDestination.Context()
                .secret(Guests.SECRET).barrierTimeoutMs(1_000)
                .channelDecorator((index, socket) -> index == 0 ? new TruncatedChannel(socket, 1L << 20, true) : socket));
            final MigrationResult src = MigrationSource.start(new MigrationSource.Context()
                .destination(destination.localAddress()).memory(source).secret(Guests.SECRET).channels(2)
                .barrierTimeoutMs(1_000)).result().get(20, TimeUnit.SECONDS);
            assertEquals(expected, src.errorCode(), src.error());
            assertTrue(src.error().contains(named), src.error());
            assertEquals(MigrationStatus.FAILED, destination.result().get(10, TimeUnit.SECONDS).status());
        }
        Guests.assertNoFerryThreads();
    }

    @Test
    @Timeout(60)
    void aDestinationThatStopsReadingFailsTheSourceWhileItQueues() throws Exception {
        stalledChannel(256L << 20, ErrorCode.TIMEOUT, "data channel 0 wrote nothing");
    }

    @Test
    @Timeout(60)
    void aDestinationThatStopsReadingFailsTheSourceAtTheBarrier() throws Exception {
        // The source's barrier and the destination's (channel 1 waits at its SYNC) time out together; either one
        // reports first, with the same code.
        stalledChannel(48L << 20, ErrorCode.BARRIER_TIMEOUT, "SYNC");
    }

    @Test
    @Timeout(60)
    void cancelMidMigrationEndsBothSides() throws Exception {
        final Path destinationFile = dir.resolve("destination.ram");
        try (GuestMemory source = Guests.filled(Guests.anonymous(Guests.SPECS), 2);
             Workload workload = new Workload(source.block(0), 0, 256, 1, 10_000, 1).start()) {
            final MigrationDestination destination = MigrationDestination.start(new MigrationDestination.Context()
                .secret(Guests.SECRET).memoryFactory(MemoryFactory.file(destinationFile))
                .channelDecorator((index, socket) -> new DelayedDeliveryChannel(socket, now -> 20_000_000L,
                    "slow" + index)));
            final MigrationSource migration = MigrationSource.start(new MigrationSource.Context()
                .destination(destination.localAddress()).memory(source).secret(Guests.SECRET).channels(2)
                .maxRounds(1).guestControl(WorkloadGuest.of(workload)));
            while (migration.stats().transferredBytes() < (1 << 20)) {
                Thread.sleep(1);
            }
            migration.cancel();
            final MigrationResult src = migration.result().get(10, TimeUnit.SECONDS);
            final MigrationResult dst = destination.result().get(10, TimeUnit.SECONDS);
            assertEquals(MigrationStatus.CANCELLED, src.status(), src.error());
            assertEquals(MigrationStatus.CANCELLED, dst.status(), dst.error());
            assertFalse(workload.isPaused());
            assertFalse(Files.exists(destinationFile));
        }
        Guests.assertNoFerryThreads();
    }

    /**
     * Runs a migration through a proxy and, once the source has APPLIED (it is verifying), applies {@code hit}. The
     * source's digest threads wait at a gate until {@code hit} is done, so the source is still verifying (it has not
     * sent VERIFY) when the hit lands, however fast the digest: the source starts it before APPLIED now, and the
     * window without the gate was a few milliseconds.
     */
    private MigrationResult[] hitWhileVerifying(final Workload workload, final GuestMemory source,
        final java.util.function.BiConsumer<FaultProxy, MigrationSource> hit) throws Exception {
        final MigrationDestination destination = MigrationDestination.start(new MigrationDestination.Context()
            .secret(Guests.SECRET).digestThreads(1));
        final CountDownLatch gate = new CountDownLatch(1);
        final ThreadFactory gatedDigest = runnable -> {
            final Thread thread = new Thread(() -> {
                if (Thread.currentThread().getName().startsWith("ferry-digest")) {
                    try {
                        gate.await();
                    } catch (final InterruptedException ex) {
                        Thread.currentThread().interrupt();
                    }
                }
                runnable.run();
            });
            thread.setDaemon(true);
            return thread;
        };
        try (FaultProxy proxy = new FaultProxy(destination.localAddress())) {
            final MigrationSource migration = MigrationSource.start(new MigrationSource.Context()
                .destination(proxy.address()).memory(source).secret(Guests.SECRET).channels(2).digestThreads(1)
                .guestControl(WorkloadGuest.of(workload)).maxRounds(3).threadFactory(gatedDigest));
            while (!"verifying".equals(migration.stats().status()) && !migration.result().isDone()) {
                Thread.sleep(1);
            }
            hit.accept(proxy, migration);
            gate.countDown();
            return new MigrationResult[] {migration.result().get(10, TimeUnit.SECONDS),
                destination.result().get(10, TimeUnit.SECONDS)};
        }
    }

    @Test
    @Timeout(60)
    void contactLostAfterAppliedIsUnknownAndTheGuestStaysPaused() throws Exception {
        try (GuestMemory source = Guests.filled(Guests.anonymous(List.of(new BlockSpec(0, "pc.ram", 512L << 20))), 5);
             Workload workload = new Workload(source.block(0), 0, 256, 1, 10_000, 1).start()) {
            final MigrationResult[] results = hitWhileVerifying(workload, source, (proxy, migration) -> proxy.cutAll());
            assertEquals(MigrationStatus.UNKNOWN, results[0].status(), results[0].error());
            assertEquals(ErrorCode.CONTACT_LOST, results[0].errorCode());
            assertTrue(workload.isPaused(), "the destination may run the guest: the source must not resume it");
            assertEquals(MigrationStatus.FAILED, results[1].status(), "a destination without RESULT never completes");
            assertEquals(null, results[1].memory());
        }
        Guests.assertNoFerryThreads();
    }

    @Test
    @Timeout(60)
    void cancelAfterAppliedIsUnknownUnlessTheDestinationDiscarded() throws Exception {
        try (GuestMemory source = Guests.filled(Guests.anonymous(List.of(new BlockSpec(0, "pc.ram", 512L << 20))), 6);
             Workload workload = new Workload(source.block(0), 0, 256, 1, 10_000, 1).start()) {
            final MigrationResult[] results = hitWhileVerifying(workload, source,
                (proxy, migration) -> migration.cancel());
            assertEquals(MigrationStatus.UNKNOWN, results[0].status(), results[0].error());
            assertTrue(workload.isPaused());
            assertEquals(MigrationStatus.CANCELLED, results[1].status(), results[1].error());
        }
        Guests.assertNoFerryThreads();
    }

    @Test
    @Timeout(30)
    void destinationCancelledWhileWaitingEndsAtOnce() throws Exception {
        final MigrationDestination destination = MigrationDestination.start(new MigrationDestination.Context()
            .secret(Guests.SECRET));
        destination.cancel();
        final MigrationResult result = destination.result().get(5, TimeUnit.SECONDS);
        assertEquals(MigrationStatus.CANCELLED, result.status());
        Guests.assertNoFerryThreads();
    }

    @Test
    @Timeout(30)
    void nothingListeningIsAClearFailure() throws Exception {
        final int port;
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        try (GuestMemory source = Guests.anonymous(Guests.SPECS)) {
            final MigrationResult result = MigrationSource.start(new MigrationSource.Context()
                .destination(new java.net.InetSocketAddress("127.0.0.1", port)).memory(source)
                .secret(Guests.SECRET)).result().get(10, TimeUnit.SECONDS);
            assertEquals(MigrationStatus.FAILED, result.status());
            assertEquals(ErrorCode.CONNECT_FAILED, result.errorCode());
            assertTrue(result.error().contains("127.0.0.1:" + port), result.error());
        }
        Guests.assertNoFerryThreads();
    }

    /** An authenticated source that never sends SETUP must not hold the destination forever. */
    @Test
    @Timeout(30)
    void aSourceSilentBeforeSetupTimesOut() throws Exception {
        final MigrationDestination destination = MigrationDestination.start(new MigrationDestination.Context()
            .secret(Guests.SECRET).idleTimeoutMs(500));
        try (Connection connection = Connection.connect(destination.localAddress(), 5_000, "silent main")) {
            Handshake.client(connection, Guests.SECRET, Handshake.newSessionId(), HandshakeFlyweight.KIND_MAIN, 0, 2);
            final MigrationResult result = destination.result().get(20, TimeUnit.SECONDS);
            assertEquals(MigrationStatus.FAILED, result.status());
            assertEquals(ErrorCode.TIMEOUT, result.errorCode(), result.error());
            assertTrue(result.error().contains("nothing from the source for 500 ms"), result.error());
        }
        destination.close();
        Guests.assertNoFerryThreads();
    }
}
