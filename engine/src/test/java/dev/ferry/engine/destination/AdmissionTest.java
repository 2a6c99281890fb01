package dev.ferry.engine.destination;

import dev.ferry.engine.api.MemoryFactory;
import dev.ferry.engine.api.VerifyMode;
import dev.ferry.engine.channel.Connection;
import dev.ferry.engine.channel.Handshake;
import dev.ferry.engine.channel.Secret;
import dev.ferry.engine.channel.Watchdog;
import dev.ferry.engine.error.FerryException;
import dev.ferry.engine.protocol.HandshakeFlyweight;
import dev.ferry.engine.stats.CounterDescriptor;
import dev.ferry.engine.stats.Counters;
import dev.ferry.engine.stats.CountersFile;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

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
        final DestinationConfig config = new DestinationConfig(new InetSocketAddress("127.0.0.1", 0),
            MemoryFactory.anonymous(), SECRET, null, VerifyMode.FULL, null, warnings::add, 5_000, 1_000, 5_000, 5_000, 5_000,
            1, 4, null, Thread::new, () -> new BackoffIdleStrategy(), null, null, true);
        watchdog = new Watchdog(Thread::new);
        counters = new Counters(CountersFile.inMemory("destination", Counters.capacity(2)));
        admission = new Admission(config, watchdog, new Admission.Host() {
            @Override
            public void serveMain(final Connection connection) {
                served.add("main");
            }

            @Override
            public void serveData(final Connection connection, final int index) {
                served.add("data " + index);
            }
        }, counters.allocate(CounterDescriptor.REJECTED_CONNECTIONS));
    }

    @AfterEach
    void close() {
        admission.close();
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
        assertTrue(refusal(Handshake.newSessionId(), HandshakeFlyweight.KIND_MAIN, 0, 2).contains("already receiving"));
        assertTrue(refusal(session, HandshakeFlyweight.KIND_DATA, 0, 2).contains("no migration session"),
            "data channels wait until SETUP made the memory");
        admission.sessionReady();
        hello(session, HandshakeFlyweight.KIND_DATA, 1, 2);
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
        assertEquals(7, admission.rejected(), "every refusal is counted");
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
}
