package dev.ferry.engine.destination;

import dev.ferry.engine.FerryException;
import dev.ferry.engine.MigrationDestination;
import dev.ferry.engine.Secret;
import dev.ferry.engine.channel.Connection;
import dev.ferry.engine.channel.Handshake;
import dev.ferry.engine.channel.Watchdog;
import dev.ferry.engine.protocol.HandshakeFlyweight;
import dev.ferry.engine.stats.CounterDescriptor;
import dev.ferry.engine.stats.Counters;
import dev.ferry.engine.stats.CountersFile;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.AtomicCounter;
import org.agrona.concurrent.status.CountersReader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The door's rules: one main channel, then only its session's data channels, each index once; refusals counted. */
@Timeout(60)
final class AdmissionTest {
    private static final Secret SECRET = Secret.of("an admission test secret, 32 b..".getBytes(StandardCharsets.US_ASCII));

    private final List<String> served = new CopyOnWriteArrayList<>();
    private final List<String> warnings = new CopyOnWriteArrayList<>();
    private Watchdog watchdog;
    private Counters counters;
    private Admission admission;

    @BeforeEach
    void open() throws Exception {
        watchdog = new Watchdog(Thread::new);
        counters = new Counters(CountersFile.inMemory("destination", Counters.capacity(2)));
        admission = admission(counters.allocate(CounterDescriptor.REJECTED_CONNECTIONS));
    }

    private Admission admission(final AtomicCounter rejected) throws Exception {
        final DestinationConfig config = new MigrationDestination.Context().listen(new InetSocketAddress("127.0.0.1", 0))
            .secret(SECRET).warnings(warnings::add).handshakeTimeoutMs(5_000).firstBytesTimeoutMs(1_000)
            .digestThreads(1).maxPendingHandshakes(4).threadFactory(Thread::new)
            .idleStrategy(BackoffIdleStrategy::new).conclude();
        return new Admission(config, watchdog, new DoorHost() {
            @Override
            public void serveMain(final Connection connection, final byte[] sessionId) {
                served.add("main");
            }

            @Override
            public void serveData(final Connection connection, final byte[] sessionId, final int index) {
                served.add("data " + index);
            }
        }, rejected, new SessionRules(SessionRules.ONCE));
    }

    @AfterEach
    void close() {
        admission.close(5_000);
        watchdog.close();
        counters.close();
    }

    private void hello(final byte[] session, final int kind, final int index, final int channels) throws Exception {
        try (Connection connection = Connection.connect(admission.localAddress(), 5_000, "test")) {
            Handshake.client(connection, SECRET, session, kind, index, channels);
        }
    }

    private String refusal(final byte[] session, final int kind, final int index, final int channels) {
        return assertThrows(FerryException.class, () -> hello(session, kind, index, channels)).getMessage();
    }

    @Test
    void oneMainChannelThenTheSessionsDataChannelsEachOnce() throws Exception {
        final byte[] session = Handshake.newSessionId();
        assertTrue(refusal(session, HandshakeFlyweight.KIND_DATA, 0, 2).contains("no migration session"));
        hello(session, HandshakeFlyweight.KIND_MAIN, 0, 2);
        assertTrue(refusal(Handshake.newSessionId(), HandshakeFlyweight.KIND_MAIN, 0, 2)
            .contains("busy: it has taken the one migration it takes in all"));
        // A data channel of the session before its SETUP is done waits for it (the source dials them meanwhile).
        final CompletableFuture<Void> early = CompletableFuture.runAsync(() -> {
            try {
                hello(session, HandshakeFlyweight.KIND_DATA, 1, 2);
            } catch (final Exception ex) {
                throw new CompletionException(ex);
            }
        });
        Thread.sleep(100);
        assertFalse(early.isDone(), "held until SETUP is done, neither admitted nor refused");
        admission.sessionReady();
        early.get(10, TimeUnit.SECONDS);
        assertTrue(refusal(session, HandshakeFlyweight.KIND_DATA, 1, 2).contains("already connected"));
        assertTrue(refusal(session, HandshakeFlyweight.KIND_DATA, 2, 2).contains("out of range"));
        assertTrue(refusal(Handshake.newSessionId(), HandshakeFlyweight.KIND_DATA, 0, 2).contains("does not match"));
        assertTrue(refusal(session, HandshakeFlyweight.KIND_DATA, 0, 3).contains("does not match"));
        hello(session, HandshakeFlyweight.KIND_DATA, 0, 2);
        assertEquals(2, admission.channelCount());
        final long deadline = System.nanoTime() + 5_000_000_000L;
        while (served.size() < 3 && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertEquals(List.of("main", "data 1", "data 0"), served);
        assertEquals(6, admission.rejected(), "every refusal is counted");
    }

    @Test
    void aMainChannelAnnouncingNoChannelsOrTooManyIsToldSo() {
        for (final int channels : new int[] {0, 65}) {
            final String refusal = refusal(Handshake.newSessionId(), HandshakeFlyweight.KIND_MAIN, 0, channels);
            assertTrue(refusal.contains("channel count out of range (1..64)"), refusal);
        }
    }

    /** A silent connection is cut after the first-bytes deadline, logged once with its address once and the cause. */
    @Test
    void aSilentConnectionIsCutAtTheFirstBytesDeadlineAndSaysSo() throws Exception {
        try (SocketChannel silent = SocketChannel.open(admission.localAddress())) {
            assertEquals(-1, silent.read(ByteBuffer.allocate(1)), "cut by the destination");
            final String address = silent.getLocalAddress().toString().replace("localhost", "");
            final long deadline = System.nanoTime() + 5_000_000_000L;
            while (warnings.isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertEquals(1, warnings.size(), warnings.toString());
            final String warning = warnings.get(0);
            assertTrue(warning.contains("sent no HELLO within 1000 ms"), warning);
            assertFalse(warning.contains("AsynchronousCloseException"), warning);
            assertEquals(warning.indexOf("connection from"), warning.lastIndexOf("connection from"), warning);
            assertTrue(warning.contains(address.substring(address.lastIndexOf(':'))), address + " in " + warning);
        }
        assertEquals(1, admission.rejected());
    }

    /** A refusal counter that can hold the thread counting, to see when a count lands relative to close(). */
    private static final class HeldCounter extends AtomicCounter {
        final CountDownLatch entered = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        volatile boolean hold;
        volatile boolean closeReturned;
        volatile boolean countedAfterClose;
        final AtomicInteger counted = new AtomicInteger();

        HeldCounter() {
            super(new UnsafeBuffer(ByteBuffer.allocateDirect(CountersReader.COUNTER_LENGTH)), 0);
        }

        @Override
        public long increment() {
            if (hold) {
                entered.countDown();
                try {
                    release.await(10, TimeUnit.SECONDS);
                } catch (final InterruptedException ex) {
                    Thread.currentThread().interrupt();
                }
            }
            countedAfterClose |= closeReturned;
            counted.incrementAndGet();
            return super.increment();
        }
    }

    /**
     * The crash of issue 17: a handshake thread counted a refusal after the counters file was unmapped. Here the
     * count of the refusal that closing causes is held until close() has returned (or for 0.5 s, if close() waits for
     * it): the count must land before close() returns, and no handshake thread may outlive close().
     */
    @Test
    void noRefusalIsCountedAfterCloseReturns() throws Exception {
        final HeldCounter rejected = new HeldCounter();
        final Admission door = admission(rejected);
        try (SocketChannel stalled = SocketChannel.open(door.localAddress())) {
            final UnsafeBuffer hello = new UnsafeBuffer(new byte[HandshakeFlyweight.HELLO_LENGTH]);
            HandshakeFlyweight.encodeHello(hello, HandshakeFlyweight.KIND_MAIN, false, 0, 2, Handshake.newSessionId(),
                new byte[HandshakeFlyweight.NONCE_LENGTH]);
            stalled.write(ByteBuffer.wrap(hello.byteArray()));
            final ByteBuffer challenge = ByteBuffer.allocate(HandshakeFlyweight.CHALLENGE_LENGTH);
            while (challenge.hasRemaining() && stalled.read(challenge) >= 0) {
                // its handshake thread now waits for a PROOF that never comes.
            }
            rejected.hold = true;
            final Thread releaser = new Thread(() -> {
                try {
                    rejected.entered.await(5, TimeUnit.SECONDS);
                    final long deadline = System.nanoTime() + 500_000_000L;
                    while (!rejected.closeReturned && System.nanoTime() < deadline) {
                        Thread.sleep(5);
                    }
                } catch (final InterruptedException ignore) {
                    // release at once.
                }
                rejected.release.countDown();
            });
            releaser.start();
            final boolean stopped = door.close(5_000);
            rejected.closeReturned = true;
            final boolean handshakeAlive = Thread.getAllStackTraces().keySet().stream()
                .anyMatch(thread -> thread.isAlive() && thread.getName().equals("ferry-handshake"));
            releaser.join(10_000);
            final long deadline = System.nanoTime() + 5_000_000_000L;
            while (rejected.counted.get() == 0 && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertEquals(1, rejected.counted.get(), "the stalled handshake's refusal is counted");
            assertFalse(rejected.countedAfterClose, "a refusal was counted after close() returned: by then the" +
                " counters file may be unmapped (SIGSEGV)");
            assertFalse(handshakeAlive, "a handshake thread outlived close()");
            assertTrue(stopped);
        }
    }
}
