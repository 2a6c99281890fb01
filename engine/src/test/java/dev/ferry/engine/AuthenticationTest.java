package dev.ferry.engine;

import dev.ferry.engine.protocol.HandshakeFlyweight;
import dev.ferry.engine.protocol.Protocol;
import dev.ferry.memory.GuestMemory;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Neither a stray client nor an impostor listener gets a page; refused connections do not stop the migration. */
final class AuthenticationTest {
    private static final Secret OTHER = Secret.of("another secret, also 32 bytes..".getBytes(StandardCharsets.US_ASCII));

    @Test
    @Timeout(60)
    void wrongSecretIsRefusedAndTheRealSourceStillMigrates() throws Exception {
        final List<String> warnings = new CopyOnWriteArrayList<>();
        final MigrationDestination destination = MigrationDestination.start(new MigrationDestination.Context()
            .secret(Guests.SECRET).warnings(warnings::add));
        try (GuestMemory source = Guests.filled(Guests.anonymous(Guests.SPECS), 4)) {
            final MigrationResult impostor = MigrationSource.start(new MigrationSource.Context()
                .destination(destination.localAddress()).memory(source).secret(OTHER)).result()
                .get(10, TimeUnit.SECONDS);
            assertEquals(MigrationStatus.FAILED, impostor.status());
            assertEquals(ErrorCode.AUTHENTICATION_FAILED, impostor.errorCode());
            assertTrue(impostor.error().contains("secret"), impostor.error());

            final MigrationResult real = MigrationSource.start(new MigrationSource.Context()
                .destination(destination.localAddress()).memory(source).secret(Guests.SECRET)).result()
                .get(30, TimeUnit.SECONDS);
            assertEquals(MigrationStatus.COMPLETED, real.status(), real.error());
            final MigrationResult received = destination.result().get(10, TimeUnit.SECONDS);
            Guests.assertSameMemory(source, received.memory());
            received.memory().close();
            assertEquals(1, destination.rejectedConnections());
            assertEquals(1, warnings.size(), warnings.toString());
        }
    }

    @Test
    @Timeout(30)
    void anImpostorListenerGetsNoPage() throws Exception {
        final MigrationDestination impostor = MigrationDestination.start(new MigrationDestination.Context()
            .secret(OTHER).warnings(message -> { }));
        try (GuestMemory source = Guests.filled(Guests.anonymous(Guests.SPECS), 4)) {
            final MigrationResult result = MigrationSource.start(new MigrationSource.Context()
                .destination(impostor.localAddress()).memory(source).secret(Guests.SECRET)).result()
                .get(10, TimeUnit.SECONDS);
            assertEquals(ErrorCode.AUTHENTICATION_FAILED, result.errorCode());
            assertTrue(result.error().contains("failed to prove"), result.error());
            assertEquals(HandshakeFlyweight.HELLO_LENGTH, result.stats().transferredBytes(),
                "the source may have sent its HELLO and nothing else");
        } finally {
            impostor.cancel();
        }
    }

    @Test
    @Timeout(30)
    void insecureOnOneSideOnlyIsRefusedWithAClearReason() throws Exception {
        final MigrationDestination destination = MigrationDestination.start(new MigrationDestination.Context()
            .secret(Secret.insecure()).warnings(message -> { }));
        try (GuestMemory source = Guests.anonymous(Guests.SPECS)) {
            final MigrationResult result = MigrationSource.start(new MigrationSource.Context()
                .destination(destination.localAddress()).memory(source).secret(Guests.SECRET)).result()
                .get(10, TimeUnit.SECONDS);
            assertEquals(ErrorCode.AUTHENTICATION_FAILED, result.errorCode());
            assertTrue(result.error().contains("--insecure"), result.error());
        } finally {
            destination.cancel();
        }
    }

    @Test
    @Timeout(60)
    void strayClientsAreDroppedAndCounted() throws Exception {
        final MigrationDestination destination = MigrationDestination.start(new MigrationDestination.Context()
            .secret(Guests.SECRET).handshakeTimeoutMs(300).warnings(message -> { }));
        try (SocketChannel silent = SocketChannel.open(destination.localAddress());
             SocketChannel garbage = SocketChannel.open(destination.localAddress());
             GuestMemory source = Guests.filled(Guests.anonymous(Guests.SPECS), 6)) {
            garbage.write(ByteBuffer.wrap(new byte[HandshakeFlyweight.HELLO_LENGTH]));
            final MigrationResult result = MigrationSource.start(new MigrationSource.Context()
                .destination(destination.localAddress()).memory(source).secret(Guests.SECRET)).result()
                .get(30, TimeUnit.SECONDS);
            assertEquals(MigrationStatus.COMPLETED, result.status(), result.error());
            final MigrationResult received = destination.result().get(10, TimeUnit.SECONDS);
            Guests.assertSameMemory(source, received.memory());
            received.memory().close();
            assertEquals(-1, silent.read(ByteBuffer.allocate(1)), "the silent client is dropped after the timeout");
            assertEquals(2, destination.rejectedConnections());
            final String json = received.stats().toJson();
            assertTrue(json.contains("\"rejected-connections\": 1") || json.contains("\"rejected-connections\": 2"),
                "the JSON counts the garbage one at least (the silent one may be cut after the end): " + json);
        }
    }

    @Test
    @Timeout(30)
    void anotherProtocolVersionIsRefusedNamingBothVersions() throws Exception {
        final MigrationDestination destination = MigrationDestination.start(new MigrationDestination.Context()
            .secret(Guests.SECRET).warnings(message -> { }));
        try (SocketChannel client = SocketChannel.open(destination.localAddress())) {
            final ByteBuffer bytes = ByteBuffer.allocateDirect(HandshakeFlyweight.CHALLENGE_LENGTH);
            final UnsafeBuffer buffer = new UnsafeBuffer(bytes);
            HandshakeFlyweight.encodeHello(buffer, HandshakeFlyweight.KIND_MAIN, false, 0, 1, new byte[16],
                new byte[32]);
            buffer.putShort(HandshakeFlyweight.VERSION_OFFSET, (short)99, Protocol.BYTE_ORDER);
            bytes.limit(HandshakeFlyweight.HELLO_LENGTH);
            client.write(bytes);
            bytes.clear();
            while (bytes.hasRemaining() && client.read(bytes) >= 0) {
                Thread.onSpinWait();
            }
            assertEquals(HandshakeFlyweight.CHALLENGE_VERSION_MISMATCH, HandshakeFlyweight.challengeStatus(buffer));
            assertEquals(Protocol.VERSION, HandshakeFlyweight.version(buffer));
        } finally {
            destination.cancel();
        }
    }
}
