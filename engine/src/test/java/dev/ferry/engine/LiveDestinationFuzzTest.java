package dev.ferry.engine;

import dev.ferry.engine.channel.Connection;
import dev.ferry.engine.channel.Handshake;
import dev.ferry.engine.channel.MainChannel;
import dev.ferry.engine.protocol.CompleteFlyweight;
import dev.ferry.engine.protocol.FlushFlyweight;
import dev.ferry.engine.protocol.HandshakeFlyweight;
import dev.ferry.engine.protocol.MessageFlyweight;
import dev.ferry.engine.protocol.PacketHeaderFlyweight;
import dev.ferry.engine.protocol.SetupFlyweight;
import dev.ferry.engine.protocol.VerifyFlyweight;
import dev.ferry.engine.verify.Verification;
import dev.ferry.memory.BlockSpec;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A live destination fed valid sessions with mutations spliced in: one block of 64 pages, two data channels, a
 * packet of normal and zero pages and a SYNC on each, FLUSH, COMPLETE; then a few bytes of the data stream or of
 * FLUSH/COMPLETE overwritten at random (seeded: a failure names its seed). Every run must end, within the
 * destination's own timeouts, completed or failed with a code other than INTERNAL and an error that names what was
 * wrong, never a Java exception (one means a field went unchecked: a page offset outside its block, with its check
 * removed, surfaced as "data channel 0 failed: java.lang.IndexOutOfBoundsException" and fails this test), and the
 * JVM must live. {@code -Dferry.fuzz.live.tries=N} (default 20) sets how
 * many sessions; the campaign in docs/reliability.md runs thousands.
 */
final class LiveDestinationFuzzTest {
    private static final int PAGES = 64;
    private static final int CHANNELS = 2;
    private static final Pattern JAVA_EXCEPTION = Pattern.compile("\\b(java|sun|jdk)\\.[a-z.]+\\.[A-Z]\\w*(Exception|Error)\\b");

    @Test
    @Timeout(600)
    void mutatedSessionsEndCleanly() throws Exception {
        final int tries = Integer.getInteger("ferry.fuzz.live.tries", 20);
        final long firstSeed = Long.getLong("ferry.fuzz.live.seed", System.nanoTime());
        final Map<ErrorCode, Integer> outcomes = new EnumMap<>(ErrorCode.class);
        final MigrationResult control = session(new SplittableRandom(firstSeed), false);
        assertTrue(control.status() == MigrationStatus.COMPLETED, "the unmutated session must complete: " + control);
        for (int i = 0; i < tries; i++) {
            final long seed = firstSeed + i;
            final MigrationResult result = session(new SplittableRandom(seed), true);
            assertTrue(result.status() == MigrationStatus.COMPLETED || result.status() == MigrationStatus.FAILED,
                "seed " + seed + ": " + result);
            assertNotEquals(ErrorCode.INTERNAL, result.errorCode(), "seed " + seed + ": " + result.error());
            assertTrue(null == result.error() || !JAVA_EXCEPTION.matcher(result.error()).find(),
                "seed " + seed + ": an unexpected exception, so a missing check: " + result.error());
            outcomes.merge(result.errorCode(), 1, Integer::sum);
        }
        System.out.println("LiveDestinationFuzzTest: " + tries + " sessions from seed " + firstSeed + ": " + outcomes);
        Guests.assertNoFerryThreads();
    }

    private static MigrationResult session(final SplittableRandom random, final boolean mutated) throws Exception {
        try (MigrationDestination destination = MigrationDestination.start(new MigrationDestination.Context()
            .secret(Guests.SECRET).verify(VerifyMode.NONE).idleTimeoutMs(1_000).barrierTimeoutMs(1_000)
            .warnings(message -> { }))) {
            final byte[] session = Handshake.newSessionId();
            final Connection mainConnection = Connection.connect(destination.localAddress(), 5_000, "main");
            final Connection[] data = new Connection[CHANNELS];
            try {
                Handshake.client(mainConnection, Guests.SECRET, session, HandshakeFlyweight.KIND_MAIN, 0, CHANNELS);
                final MainChannel main = new MainChannel(mainConnection);
                main.send(MessageFlyweight.SETUP, (buffer, offset) -> new SetupFlyweight().wrap(buffer, offset, 0)
                    .encode(Guests.PAGE, CHANNELS, VerifyMode.NONE.ordinal(), 0,
                        List.of(new BlockSpec(0, "pc.ram", (long)PAGES * Guests.PAGE)), "fuzzed"));
                if (main.receive() != MessageFlyweight.SETUP_ACK) {
                    return destination.result().get(30, TimeUnit.SECONDS);
                }
                for (int c = 0; c < CHANNELS; c++) {
                    data[c] = Connection.connect(destination.localAddress(), 5_000, "data " + c);
                    Handshake.client(data[c], Guests.SECRET, session, HandshakeFlyweight.KIND_DATA, c, CHANNELS);
                }
                final boolean mutateData = random.nextBoolean();
                final int target = mutated ? random.nextInt(2) : -1;
                write(data[0], mutate(round0(), mutated && mutateData ? random : null));
                write(data[1], sync(0));
                main.send(MessageFlyweight.FLUSH, (buffer, offset) -> {
                    new FlushFlyweight().wrap(buffer, offset, FlushFlyweight.LENGTH).round(0);
                    mutate(buffer, offset, FlushFlyweight.LENGTH, !mutateData && target == 0 ? random : null);
                    return FlushFlyweight.LENGTH;
                });
                main.send(MessageFlyweight.COMPLETE, (buffer, offset) -> {
                    new CompleteFlyweight().wrap(buffer, offset, CompleteFlyweight.LENGTH).encode(0, 3, 2);
                    mutate(buffer, offset, CompleteFlyweight.LENGTH, !mutateData && target == 1 ? random : null);
                    return CompleteFlyweight.LENGTH;
                });
                finish(main);
                return destination.result().get(30, TimeUnit.SECONDS);
            } catch (final IOException ex) {
                // the destination cut us off: it found the fault; its result says how.
                return destination.result().get(30, TimeUnit.SECONDS);
            } finally {
                mainConnection.close();
                for (final Connection connection : data) {
                    if (null != connection) {
                        connection.close();
                    }
                }
                final MigrationResult result = destination.result().get(30, TimeUnit.SECONDS);
                if (null != result.memory()) {
                    result.memory().close();
                }
            }
        }
    }

    /** Reads the destination's answers: VERIFY (nothing to compare) after APPLIED; done at RESULT, ERROR or EOF. */
    private static void finish(final MainChannel main) throws IOException {
        while (true) {
            final int type = main.receive();
            if (type == MessageFlyweight.APPLIED) {
                main.send(MessageFlyweight.VERIFY, (buffer, offset) -> new VerifyFlyweight().wrap(buffer, offset, 0)
                    .encode(0, Verification.CHUNK_BYTES, List.of()));
            } else if (type != MessageFlyweight.SETUP_ACK) {
                return;
            }
        }
    }

    /** Round 0 on channel 0: pages 0, 1 and 2 with bytes, pages 3 and 4 as zero pages, then SYNC(0). */
    private static ByteBuffer round0() {
        final int normal = 3;
        final int zero = 2;
        final int headerLength = PacketHeaderFlyweight.headerAndOffsetsLength(normal + zero);
        final ByteBuffer bytes = ByteBuffer.allocateDirect(headerLength + normal * Guests.PAGE +
            PacketHeaderFlyweight.HEADER_LENGTH);
        final PacketHeaderFlyweight header = new PacketHeaderFlyweight().wrap(new UnsafeBuffer(bytes));
        header.header(0, 0, 0, 0, normal, zero, normal * Guests.PAGE);
        for (int i = 0; i < normal + zero; i++) {
            header.pageOffset(i, (long)i * Guests.PAGE);
        }
        for (int i = headerLength; i < headerLength + normal * Guests.PAGE; i++) {
            bytes.put(i, (byte)(i * 31));
        }
        final ByteBuffer sync = sync(1);
        bytes.position(headerLength + normal * Guests.PAGE);
        bytes.put(sync);
        return bytes.clear();
    }

    /** SYNC(0) with the channel's packet sequence number {@code sequence}. */
    private static ByteBuffer sync(final int sequence) {
        final ByteBuffer bytes = ByteBuffer.allocateDirect(PacketHeaderFlyweight.HEADER_LENGTH);
        new PacketHeaderFlyweight().wrap(new UnsafeBuffer(bytes)).header(PacketHeaderFlyweight.SYNC_FLAG, 0, 0,
            sequence, 0, 0, 0);
        return bytes;
    }

    /** Overwrites 1 to 4 random bytes of {@code bytes} when {@code random} is given; returns it, rewound. */
    private static ByteBuffer mutate(final ByteBuffer bytes, final SplittableRandom random) {
        mutate(new UnsafeBuffer(bytes), 0, bytes.capacity(), random);
        return bytes.clear();
    }

    private static void mutate(final org.agrona.MutableDirectBuffer buffer, final int offset, final int length,
        final SplittableRandom random) {
        if (null == random) {
            return;
        }
        // Headers and offsets are where validation lives: aim there most of the time.
        final int span = random.nextInt(4) == 0 ? length : Math.min(length, 512);
        for (int i = 1 + random.nextInt(4); i > 0; i--) {
            buffer.putByte(offset + random.nextInt(span), (byte)random.nextInt(256));
        }
    }

    private static void write(final Connection connection, final ByteBuffer bytes) throws IOException {
        connection.writeFully(bytes.clear());
    }
}
