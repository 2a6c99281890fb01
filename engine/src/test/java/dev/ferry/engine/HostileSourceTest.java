package dev.ferry.engine;

import com.github.luben.zstd.Zstd;
import dev.ferry.engine.channel.Connection;
import dev.ferry.engine.channel.Handshake;
import dev.ferry.engine.channel.MainChannel;
import dev.ferry.engine.protocol.CompleteFlyweight;
import dev.ferry.engine.protocol.FlushFlyweight;
import dev.ferry.engine.protocol.HandshakeFlyweight;
import dev.ferry.engine.protocol.MessageFlyweight;
import dev.ferry.engine.protocol.PacketHeaderFlyweight;
import dev.ferry.engine.protocol.Protocol;
import dev.ferry.engine.protocol.SetupFlyweight;
import dev.ferry.engine.protocol.StatusFlyweight;
import dev.ferry.memory.BlockSpec;
import dev.ferry.memory.GuestMemory;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A source that speaks the protocol badly, byte by byte: every bad field ends the migration with an error naming
 * the field, the source is told over the main channel, and no byte lands outside the memory.
 */
@Timeout(30)
final class HostileSourceTest {
    private static final int CHANNELS = 2;
    private static final long BLOCK_LENGTH = 64L * Guests.PAGE;

    private MigrationDestination destination;
    private Connection mainConnection;
    private MainChannel main;
    private final byte[] session = Handshake.newSessionId();

    @BeforeEach
    void openSession() throws Exception {
        destination = MigrationDestination.start(new MigrationDestination.Context().secret(Guests.SECRET)
            .warnings(message -> { }));
        mainConnection = Connection.connect(destination.localAddress(), 5_000, "main");
        Handshake.client(mainConnection, Guests.SECRET, session, HandshakeFlyweight.KIND_MAIN, 0, CHANNELS);
        main = new MainChannel(mainConnection);
    }

    @AfterEach
    void close() {
        mainConnection.close();
        destination.cancel();
    }

    private void setUp(final long blockLength) throws Exception {
        setUp(blockLength, 0);
    }

    private void setUp(final long blockLength, final int compression) throws Exception {
        final byte[] name = "pc.ram".getBytes(StandardCharsets.UTF_8);
        main.send(MessageFlyweight.SETUP, (buffer, offset) -> {
            buffer.putInt(offset + SetupFlyweight.PAGE_SIZE_OFFSET, Guests.PAGE, Protocol.BYTE_ORDER);
            buffer.putShort(offset + SetupFlyweight.CHANNEL_COUNT_OFFSET, (short)CHANNELS, Protocol.BYTE_ORDER);
            buffer.putShort(offset + SetupFlyweight.BLOCK_COUNT_OFFSET, (short)1, Protocol.BYTE_ORDER);
            buffer.putShort(offset + SetupFlyweight.VERIFY_OFFSET, (short)0, Protocol.BYTE_ORDER);
            buffer.putShort(offset + SetupFlyweight.COMPRESSION_OFFSET, (short)compression, Protocol.BYTE_ORDER);
            final int at = offset + SetupFlyweight.BLOCKS_OFFSET;
            buffer.putShort(at + SetupFlyweight.BLOCK_ID_OFFSET, (short)0, Protocol.BYTE_ORDER);
            buffer.putShort(at + SetupFlyweight.BLOCK_NAME_LENGTH_OFFSET, (short)name.length, Protocol.BYTE_ORDER);
            buffer.putLong(at + SetupFlyweight.BLOCK_LENGTH_OFFSET, blockLength, Protocol.BYTE_ORDER);
            buffer.putBytes(at + SetupFlyweight.BLOCK_NAME_OFFSET, name);
            final int guestAt = at + SetupFlyweight.BLOCK_NAME_OFFSET + name.length;
            final byte[] guest = "hostile".getBytes(StandardCharsets.US_ASCII);
            buffer.putShort(guestAt, (short)guest.length, Protocol.BYTE_ORDER);
            buffer.putBytes(guestAt + SetupFlyweight.GUEST_NAME_LENGTH_LENGTH, guest);
            return guestAt + SetupFlyweight.GUEST_NAME_LENGTH_LENGTH + guest.length - offset;
        });
    }

    /** SETUP accepted: the destination's memory exists, data channels may connect (as a real source waits). */
    private void open(final long blockLength) throws Exception {
        open(blockLength, Compression.NONE);
    }

    private void open(final long blockLength, final Compression compression) throws Exception {
        setUp(blockLength, compression.wireId());
        assertEquals(MessageFlyweight.SETUP_ACK, main.receive());
        assertEquals(0, new StatusFlyweight().wrap(main.body(), 0, main.bodyLength()).code());
    }

    private Connection dataChannel(final int index) throws Exception {
        final Connection data = Connection.connect(destination.localAddress(), 5_000, "data " + index);
        Handshake.client(data, Guests.SECRET, session, HandshakeFlyweight.KIND_DATA, index, CHANNELS);
        return data;
    }

    private static void sendPacket(final Connection data, final Consumer<PacketHeaderFlyweight> header,
        final int offsets, final int payloadBytes) throws Exception {
        final ByteBuffer bytes = ByteBuffer.allocateDirect(PacketHeaderFlyweight.MAX_HEADER_AND_OFFSETS_LENGTH +
            payloadBytes).order(Protocol.BYTE_ORDER);
        final PacketHeaderFlyweight flyweight = new PacketHeaderFlyweight().wrap(new UnsafeBuffer(bytes));
        header.accept(flyweight);
        bytes.limit(PacketHeaderFlyweight.headerAndOffsetsLength(offsets) + payloadBytes);
        data.writeFully(bytes);
    }

    private MigrationResult failure() throws Exception {
        final MigrationResult result = destination.result().get(10, TimeUnit.SECONDS);
        assertEquals(MigrationStatus.FAILED, result.status());
        return result;
    }

    private String errorToldToSource() throws Exception {
        while (true) {
            final int type = main.receive();
            if (type == MessageFlyweight.ERROR) {
                return new StatusFlyweight().wrap(main.body(), 0, main.bodyLength()).text();
            }
            assertTrue(type > 0, "main channel closed without an ERROR");
        }
    }

    @Test
    void aPageOffsetOutsideTheBlockIsRefusedBeforeAnyByteIsWritten() throws Exception {
        open(BLOCK_LENGTH);
        try (Connection data = dataChannel(0)) {
            sendPacket(data, h -> h.header(0, 0, 0, 0, 1, 0, Guests.PAGE).pageOffset(0, BLOCK_LENGTH), 1,
                Guests.PAGE);
            final MigrationResult result = failure();
            assertEquals(ErrorCode.PROTOCOL_VIOLATION, result.errorCode());
            assertTrue(result.error().contains("page offset " + BLOCK_LENGTH), result.error());
            assertTrue(errorToldToSource().contains("page offset"));
        }
    }

    @Test
    void aMisalignedOffsetIsRefused() throws Exception {
        open(BLOCK_LENGTH);
        try (Connection data = dataChannel(1)) {
            sendPacket(data, h -> h.header(0, 0, 0, 0, 0, 1, 0).pageOffset(0, 100), 1, 0);
            assertTrue(failure().error().contains("page offset 100"));
        }
    }

    @Test
    void badHeaderFieldsAreNamed() throws Exception {
        open(BLOCK_LENGTH);
        try (Connection data = dataChannel(0)) {
            final int tooMany = Protocol.MAX_PAGES_PER_PACKET + 1;
            sendPacket(data, h -> h.header(0, 0, 0, 0, tooMany, 0, tooMany * Guests.PAGE), 0, 0);
            assertTrue(failure().error().contains("packet page count " + tooMany));
        }
    }

    @Test
    void aWrongRoundIsRefused() throws Exception {
        open(BLOCK_LENGTH);
        try (Connection data = dataChannel(0)) {
            sendPacket(data, h -> h.header(0, 0, 5, 0, 0, 1, 0).pageOffset(0, 0), 1, 0);
            assertTrue(failure().error().contains("packet round 5"));
        }
    }

    @Test
    void anUnknownBlockIsRefused() throws Exception {
        open(BLOCK_LENGTH);
        try (Connection data = dataChannel(0)) {
            sendPacket(data, h -> h.header(0, 9, 0, 0, 0, 1, 0).pageOffset(0, 0), 1, 0);
            assertTrue(failure().error().contains("block id 9"));
        }
    }

    @Test
    void duplicateAndOutOfRangeChannelsAreRefusedButTheSessionGoesOn() throws Exception {
        open(BLOCK_LENGTH);
        try (Connection data = dataChannel(0)) {
            final FerryException duplicate = assertThrows(FerryException.class, () -> dataChannel(0));
            assertTrue(duplicate.getMessage().contains("already connected"), duplicate.getMessage());
            final Connection outOfRange = Connection.connect(destination.localAddress(), 5_000, "data 7");
            final FerryException range = assertThrows(FerryException.class, () -> Handshake.client(outOfRange,
                Guests.SECRET, session, HandshakeFlyweight.KIND_DATA, 7, CHANNELS));
            assertTrue(range.getMessage().contains("out of range"), range.getMessage());
            outOfRange.close();
            assertTrue(!destination.result().isDone(), "refused channels must not end the migration");
        }
    }

    @Test
    void aSetupThatIsNotWholePagesIsRefused() throws Exception {
        setUp(BLOCK_LENGTH + 1);
        assertTrue(failure().error().contains("block length " + (BLOCK_LENGTH + 1)));
    }

    /** An empty round 0 (a SYNC on each channel, FLUSH), then {@code completes} COMPLETE messages. */
    private void emptyRoundThenComplete(final Connection data0, final Connection data1, final int completes)
        throws Exception {
        for (final Connection data : List.of(data0, data1)) {
            sendPacket(data, h -> h.header(PacketHeaderFlyweight.SYNC_FLAG, 0, 0, 0, 0, 0, 0), 0, 0);
        }
        main.send(MessageFlyweight.FLUSH, (buffer, offset) -> {
            buffer.putInt(offset, 0, Protocol.BYTE_ORDER);
            return FlushFlyweight.LENGTH;
        });
        for (int i = 0; i < completes; i++) {
            main.send(MessageFlyweight.COMPLETE, (buffer, offset) -> {
                buffer.setMemory(offset, CompleteFlyweight.LENGTH, (byte)0);
                return CompleteFlyweight.LENGTH;
            });
        }
    }

    @Test
    void losingTheSourceWhileDigestingNeverUnmapsUnderTheDigest() throws Exception {
        open(1L << 30);
        try (Connection data0 = dataChannel(0); Connection data1 = dataChannel(1)) {
            emptyRoundThenComplete(data0, data1, 1);
            assertEquals(MessageFlyweight.APPLIED, main.receive());
            mainConnection.close();
            final MigrationResult result = failure();
            assertEquals(ErrorCode.CONTACT_LOST, result.errorCode(), result.error());
        }
        Guests.assertNoFerryThreads();
    }

    /** Issue 17, finding 10: a COMPLETE before any FLUSH was refused as "expected the last flushed round -1". */
    @Test
    void aCompleteBeforeAnyFlushSaysNoRoundWasFlushed() throws Exception {
        open(BLOCK_LENGTH);
        try (Connection data0 = dataChannel(0); Connection data1 = dataChannel(1)) {
            main.send(MessageFlyweight.COMPLETE, (buffer, offset) -> {
                buffer.setMemory(offset, CompleteFlyweight.LENGTH, (byte)0);
                return CompleteFlyweight.LENGTH;
            });
            final String error = failure().error();
            assertTrue(error.contains("invalid COMPLETE round 0: expected a FLUSH first: no round was flushed"), error);
        }
    }

    /** Nothing is accepted after COMPLETE: a second one is a protocol violation, not answered with another APPLIED. */
    @Test
    void aSecondCompleteAfterAppliedIsRefused() throws Exception {
        open(BLOCK_LENGTH);
        try (Connection data0 = dataChannel(0); Connection data1 = dataChannel(1)) {
            emptyRoundThenComplete(data0, data1, 2);
            assertEquals(MessageFlyweight.APPLIED, main.receive());
            assertTrue(errorToldToSource().contains("COMPLETE after COMPLETE"));
            assertEquals(ErrorCode.PROTOCOL_VIOLATION, failure().errorCode());
        }
    }

    /** Replaces the destination opened before each test with one made from {@code context}. */
    private void restart(final MigrationDestination.Context context) throws Exception {
        mainConnection.close();
        destination.cancel();
        destination = MigrationDestination.start(context.secret(Guests.SECRET).warnings(message -> { }));
        mainConnection = Connection.connect(destination.localAddress(), 5_000, "main");
        Handshake.client(mainConnection, Guests.SECRET, session, HandshakeFlyweight.KIND_MAIN, 0, CHANNELS);
        main = new MainChannel(mainConnection);
    }

    @Test
    void aSourceThatFallsSilentTimesOut() throws Exception {
        restart(new MigrationDestination.Context().idleTimeoutMs(500));
        open(BLOCK_LENGTH);
        try (Connection data = dataChannel(0)) {
            final MigrationResult result = destination.result().get(10, TimeUnit.SECONDS);
            assertEquals(ErrorCode.TIMEOUT, result.errorCode(), result.error());
            assertTrue(result.error().contains("nothing from the source for 500 ms"), result.error());
        }
    }

    @Test
    void anOversizedFrameIsRefusedBeforeItsBodyIsRead() throws Exception {
        final ByteBuffer frame = ByteBuffer.allocate(MessageFlyweight.FRAME_HEADER_LENGTH).order(Protocol.BYTE_ORDER);
        frame.putInt(Integer.MAX_VALUE).putShort((short)MessageFlyweight.SETUP).putShort((short)0).flip();
        mainConnection.writeFully(frame);
        assertTrue(failure().error().contains("main-channel message length"));
    }

    @Test
    void anUnknownCodecInSetupIsRefused() throws Exception {
        setUp(BLOCK_LENGTH, 9);
        assertTrue(failure().error().contains("SETUP compression 9"));
    }

    @Test
    void aCompressedPacketInASessionWithoutCompressionIsRefused() throws Exception {
        open(BLOCK_LENGTH);
        try (Connection data = dataChannel(0)) {
            sendPacket(data, h -> h.header(PacketHeaderFlyweight.COMPRESSED_FLAG, 0, 0, 0, 1, 0, 10).pageOffset(0, 0),
                1, 0);
            assertTrue(failure().error().contains("SETUP announced no compression"));
        }
    }

    /**
     * One packet of one zstd page at offset {@code PAGE} into memory the test holds, its frame table saying
     * {@code declared} and its header {@code payload}; the memory's page must be untouched after the refusal.
     */
    private String refusedCompressedPage(final byte[] frame, final int declared, final int payload) throws Exception {
        return refusedPacket(BLOCK_LENGTH, Guests.PAGE, 1, new int[] {declared}, payload, frame);
    }

    @Test
    void compressedFramesAreCheckedBeforeAnyByteReachesGuestMemory() throws Exception {
        final byte[] page = new byte[Guests.PAGE];
        new java.util.SplittableRandom(4).nextBytes(page);
        Arrays.fill(page, 0, Guests.PAGE / 2, (byte)1);
        final byte[] valid = Zstd.compress(page, 1);
        final byte[] half = Zstd.compress(Arrays.copyOf(page, Guests.PAGE / 2), 1);
        final byte[] garbage = Arrays.copyOfRange(page, Guests.PAGE - 100, Guests.PAGE);
        final String malformed = refusedCompressedPage(garbage, 100, 100);
        assertTrue(malformed.contains("invalid compressed frame 0 (1 pages from offset " + Guests.PAGE + ") of block " +
            "'pc.ram': zstd frame of 100 bytes is malformed"), malformed);
        assertTrue(refusedCompressedPage(half, half.length, half.length).contains("expected " + Guests.PAGE));
        assertTrue(refusedCompressedPage(valid, 0, 0).contains("invalid length of frame 0: 0 bytes, expected 1.." +
            Guests.PAGE));
        assertTrue(refusedCompressedPage(valid, Guests.PAGE + 1, Guests.PAGE + 1)
            .contains("invalid length of frame 0: " + (Guests.PAGE + 1) + " bytes"));
        assertTrue(refusedCompressedPage(valid, valid.length, valid.length + 7)
            .contains("the sum of the frame lengths"));
    }

    /**
     * Issue 17, finding 10: a packet's frames were applied one by one, so frame 0 was in guest memory when frame 1
     * was refused, contrary to docs/protocol.md. A packet of 129 pages has two frames (128 pages, then 1); its first
     * frame is good (compressed, or raw), its second malformed: guest memory must not change at all.
     */
    @Test
    void aPacketWhoseSecondFrameIsBadLeavesGuestMemoryUnchanged() throws Exception {
        final int perFrame = PacketHeaderFlyweight.pagesPerFrame(Guests.PAGE);
        final byte[] pages = new byte[perFrame * Guests.PAGE];
        new java.util.SplittableRandom(5).nextBytes(pages);
        Arrays.fill(pages, 0, pages.length / 2, (byte)3);
        final byte[] compressed = Zstd.compress(pages, 1);
        assertTrue(compressed.length < pages.length);
        final byte[] garbage = Arrays.copyOfRange(pages, pages.length - 100, pages.length);
        for (final byte[] first : new byte[][] {compressed, pages}) {
            final String refused = refusedPacket(256L * Guests.PAGE, 0, perFrame + 1, new int[] {first.length, garbage.length},
                first.length + garbage.length, first, garbage);
            assertTrue(refused.contains("invalid compressed frame 1 (1 pages from offset " +
                (long)perFrame * Guests.PAGE + ") of block 'pc.ram': zstd frame of 100 bytes is malformed"), refused);
        }
    }

    /**
     * One compressed packet of {@code normal} pages from offset {@code first} of a block of {@code blockLength} with
     * {@code frames}, its table saying {@code declared} and its header {@code payload}, into memory the test holds,
     * filled with 0x5A: it must be refused, and the memory untouched.
     */
    private String refusedPacket(final long blockLength, final long first, final int normal, final int[] declared,
        final int payload, final byte[]... frames) throws Exception {
        try (GuestMemory held = Guests.anonymous(List.of(new BlockSpec(0, "pc.ram", blockLength)))) {
            held.block(0).window(0).setMemory(0, (int)blockLength, (byte)0x5A);
            restart(new MigrationDestination.Context().memoryFactory(MemoryFactory.existing(held)));
            open(blockLength, Compression.ZSTD);
            try (Connection data = dataChannel(0)) {
                final ByteBuffer bytes = ByteBuffer.allocateDirect(PacketHeaderFlyweight.MAX_HEADER_AND_OFFSETS_LENGTH +
                    Arrays.stream(frames).mapToInt(frame -> frame.length).sum()).order(Protocol.BYTE_ORDER);
                final PacketHeaderFlyweight header = new PacketHeaderFlyweight().wrap(new UnsafeBuffer(bytes))
                    .header(PacketHeaderFlyweight.COMPRESSED_FLAG, 0, 0, 0, normal, 0, payload);
                for (int i = 0; i < normal; i++) {
                    header.pageOffset(i, first + (long)i * Guests.PAGE);
                }
                for (int f = 0; f < declared.length; f++) {
                    header.frameLength(normal, f, declared[f]);
                }
                bytes.position(PacketHeaderFlyweight.compressedPrefixLength(normal, declared.length));
                Arrays.stream(frames).forEach(bytes::put);
                data.writeFully(bytes.flip());
                final MigrationResult result = failure();
                assertEquals(ErrorCode.PROTOCOL_VIOLATION, result.errorCode(), result.error());
                final byte[] after = new byte[(int)blockLength];
                held.block(0).window(0).getBytes(0, after);
                final byte[] before = new byte[(int)blockLength];
                Arrays.fill(before, (byte)0x5A);
                assertTrue(Arrays.equals(before, after), "guest memory changed, from byte " +
                    Arrays.mismatch(before, after) + ": " + result.error());
                return result.error();
            }
        }
    }
}
