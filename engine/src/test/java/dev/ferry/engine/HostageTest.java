package dev.ferry.engine;

import dev.ferry.memory.GuestMemory;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Nobody who can merely reach the port can lock a destination: idle connections held open (and reopened as soon as
 * they are cut) do not stop the real source, and a flood of garbage connections leaves threads and descriptors
 * bounded. Every figure asserted is a bound, never a speed.
 */
final class HostageTest {
    /** Opens {@code count} connections that never send a byte, reopening each as soon as the destination cuts it. */
    private static final class Hostages implements AutoCloseable {
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final Thread thread;
        private volatile long opened;

        Hostages(final SocketAddress target, final int count) {
            thread = new Thread(() -> hold(target, count), "test-hostages");
            thread.setDaemon(true);
            thread.start();
        }

        private void hold(final SocketAddress target, final int count) {
            final List<SocketChannel> held = new ArrayList<>();
            final ByteBuffer probe = ByteBuffer.allocate(1);
            try {
                while (running.get()) {
                    while (held.size() < count && running.get()) {
                        final SocketChannel socket = SocketChannel.open(target);
                        socket.configureBlocking(false);
                        held.add(socket);
                        opened++;
                    }
                    for (int i = held.size() - 1; i >= 0; i--) {
                        if (held.get(i).read(probe.clear()) < 0) {
                            held.remove(i).close();
                        }
                    }
                    Thread.sleep(1);
                }
            } catch (final IOException | InterruptedException ex) {
                // the destination went away, or the test ended.
            } finally {
                for (final SocketChannel socket : held) {
                    try {
                        socket.close();
                    } catch (final IOException ignore) {
                        // best effort.
                    }
                }
            }
        }

        @Override
        public void close() throws InterruptedException {
            running.set(false);
            thread.join(5_000);
        }
    }

    @Test
    @Timeout(120)
    void sixtyFourIdleConnectionsHeldOpenDoNotStopARealMigration() throws Exception {
        final List<String> warnings = new CopyOnWriteArrayList<>();
        try (MigrationDestination destination = MigrationDestination.start(new MigrationDestination.Context()
            .secret(Guests.SECRET).warnings(warnings::add));
             Hostages hostages = new Hostages(destination.localAddress(), 64);
             GuestMemory source = Guests.filled(Guests.anonymous(Guests.SPECS), 2)) {
            while (hostages.opened < 64) {
                Thread.sleep(5);
            }
            final MigrationResult result = MigrationSource.start(new MigrationSource.Context()
                .destination(destination.localAddress()).memory(source).secret(Guests.SECRET)).result()
                .get(60, TimeUnit.SECONDS);
            assertEquals(MigrationStatus.COMPLETED, result.status(), result.error());
            final MigrationResult received = destination.result().get(30, TimeUnit.SECONDS);
            assertTrue(received.verified());
            Guests.assertSameMemory(source, received.memory());
            received.memory().close();
            assertTrue(destination.rejectedConnections() >= 48, "hostages displaced: " +
                destination.rejectedConnections());
            assertTrue(warnings.size() <= 4, "one line per cause, not per connection: " + warnings);
        }
    }

    @Test
    @Timeout(60)
    void aShortGarbageFloodLeavesThreadsAndDescriptorsBounded() throws Exception {
        flood(2);
    }

    @Test
    @Tag("slow")
    @Timeout(120)
    void tenSecondsOfGarbageFloodLeaveThreadsAndDescriptorsBounded() throws Exception {
        flood(10);
    }

    /** A thousand garbage connections per second for {@code seconds}: bounded threads and descriptors throughout. */
    private static void flood(final int seconds) throws Exception {
        final List<String> warnings = new CopyOnWriteArrayList<>();
        final com.sun.management.UnixOperatingSystemMXBean os =
            (com.sun.management.UnixOperatingSystemMXBean)ManagementFactory.getOperatingSystemMXBean();
        try (MigrationDestination destination = MigrationDestination.start(new MigrationDestination.Context()
            .secret(Guests.SECRET).warnings(warnings::add))) {
            final long baseDescriptors = os.getOpenFileDescriptorCount();
            final ByteBuffer garbage = ByteBuffer.wrap("GET / HTTP/1.1\r\n\r\n".repeat(4).getBytes());
            int maxHandshakeThreads = 0;
            long maxDescriptors = 0;
            final long startNs = System.nanoTime();
            for (int i = 0; i < seconds * 1000; i++) {
                final long dueNs = startNs + i * 1_000_000L;
                final long aheadNs = dueNs - System.nanoTime();
                if (aheadNs > 0) {
                    LockSupport.parkNanos(aheadNs);
                }
                try (SocketChannel socket = SocketChannel.open(destination.localAddress())) {
                    socket.write(garbage.clear());
                }
                if (i % 100 == 0) {
                    maxHandshakeThreads = Math.max(maxHandshakeThreads, (int)Guests.ferryThreads().stream()
                        .filter(name -> name.equals("ferry-handshake")).count());
                    maxDescriptors = Math.max(maxDescriptors, os.getOpenFileDescriptorCount());
                }
            }
            assertTrue(maxHandshakeThreads <= 16 + 8, "handshake threads: " + maxHandshakeThreads);
            // 16 handshake slots, and at most 512 connections parked without a thread behind them (Admission's
            // MAX_PARKED: a newcomer waits instead of displacing a connection whose turn has not run out).
            assertTrue(maxDescriptors <= baseDescriptors + 2 * (16 + 8) + 512 + 64, "descriptors: " + maxDescriptors +
                " from " + baseDescriptors);
            assertTrue(warnings.size() <= 4, "one line per cause per 10 s: " + warnings.size() + " " +
                warnings.subList(0, Math.min(3, warnings.size())));
            assertTrue(destination.rejectedConnections() > seconds * 500, "refusals counted: " +
                destination.rejectedConnections());
        }
    }
}
