package dev.ferry.engine.protocol;

import dev.ferry.memory.BlockSpec;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every main-channel body: what one side encodes the other decodes, and bad fields are named. */
final class MessageFlyweightsTest {
    private final UnsafeBuffer buffer = new UnsafeBuffer(new byte[4096]);

    @Test
    void setupRoundTrips() {
        final List<BlockSpec> blocks = List.of(new BlockSpec(0, "pc.ram", 1L << 30), new BlockSpec(7, "vga.vram", 8192));
        final int length = new SetupFlyweight().wrap(buffer, 16, 4000).encode(4096, 3, 1, 2, blocks, "web-01.vm");
        final SetupFlyweight setup = new SetupFlyweight().wrap(buffer, 16, length);
        assertEquals(4096, setup.pageSize());
        assertEquals(3, setup.channelCount());
        assertEquals(1, setup.verifyMode());
        assertEquals(2, setup.compression());
        assertEquals(blocks, setup.blocks(4096));
        assertEquals("web-01.vm", setup.guestName());
    }

    /** The name becomes a file name on the destination: nothing but GuestName's characters gets through. */
    @Test
    void setupRefusesAGuestNameThatCouldEscapeItsDirectory() {
        final List<BlockSpec> blocks = List.of(new BlockSpec(0, "ram", 4096));
        final int length = new SetupFlyweight().wrap(buffer, 0, 4096).encode(4096, 1, 0, 0, blocks, "abcdef");
        final int nameAt = length - 6;
        for (final String bad : List.of("../etc", "a/b/c!", "..", "a\\b!!", ".hide")) {
            final byte[] bytes = bad.getBytes(StandardCharsets.ISO_8859_1);
            final int badLength = new SetupFlyweight().wrap(buffer, 0, 4096).encode(4096, 1, 0, 0, blocks, bad);
            final ProtocolException refused = assertThrows(ProtocolException.class, () -> {
                final SetupFlyweight setup = new SetupFlyweight().wrap(buffer, 0, badLength);
                setup.blocks(4096);
                setup.guestName();
            }, bad);
            assertTrue(refused.getMessage().startsWith("invalid guest name in SETUP: the guest name"), refused.getMessage());
            assertEquals(nameAt + bytes.length, badLength);
        }
        new SetupFlyweight().wrap(buffer, 0, 4096).encode(4096, 1, 0, 0, blocks, "abcdef");
        buffer.putByte(nameAt, (byte)0xC3);
        final ProtocolException binary = assertThrows(ProtocolException.class, () -> {
            final SetupFlyweight setup = new SetupFlyweight().wrap(buffer, 0, length);
            setup.blocks(4096);
            setup.guestName();
        });
        assertTrue(binary.getMessage().contains("U+00C3"), binary.getMessage());
    }

    @Test
    void setupRefusesLengthsWhoseSumOverflows() {
        final long huge = (Long.MAX_VALUE / 2 + 1) & ~4095L;
        final int length = new SetupFlyweight().wrap(buffer, 0, 4096).encode(4096, 1, 0, 0,
            List.of(new BlockSpec(0, "a", huge), new BlockSpec(1, "b", huge)), "guest");
        final ProtocolException ex = assertThrows(ProtocolException.class,
            () -> new SetupFlyweight().wrap(buffer, 0, length).blocks(4096));
        assertTrue(ex.getMessage().contains("SETUP total length of block 1"), ex.getMessage());
    }

    @Test
    void setupRefusesANameThatIsNotUtf8AndTrailingBytes() {
        final int length = new SetupFlyweight().wrap(buffer, 0, 4096).encode(4096, 1, 0, 0,
            List.of(new BlockSpec(0, "ram", 4096)), "guest");
        buffer.putByte(SetupFlyweight.BLOCKS_OFFSET + SetupFlyweight.BLOCK_NAME_OFFSET, (byte)0xC3);
        final ProtocolException utf8 = assertThrows(ProtocolException.class,
            () -> new SetupFlyweight().wrap(buffer, 0, length).blocks(4096));
        assertTrue(utf8.getMessage().contains("not valid UTF-8"), utf8.getMessage());
        buffer.putByte(SetupFlyweight.BLOCKS_OFFSET + SetupFlyweight.BLOCK_NAME_OFFSET, (byte)'r');
        final ProtocolException trailing = assertThrows(ProtocolException.class,
            () -> new SetupFlyweight().wrap(buffer, 0, length + 1).blocks(4096));
        assertTrue(trailing.getMessage().contains("SETUP guest name length"), trailing.getMessage());
    }

    @Test
    void statusRoundTripsAndChecksItsTextLength() {
        final int length = new StatusFlyweight().wrap(buffer, 8, 4000).encode(12, 77, "digests differ");
        final StatusFlyweight status = new StatusFlyweight().wrap(buffer, 8, length);
        assertEquals(12, status.code());
        assertEquals(77, status.value());
        assertEquals("digests differ", status.text());
        final ProtocolException ex = assertThrows(ProtocolException.class,
            () -> new StatusFlyweight().wrap(buffer, 8, length - 1).text());
        assertTrue(ex.getMessage().contains("status text length"), ex.getMessage());
    }

    @Test
    void flushAndCompleteHaveExactLengths() {
        new FlushFlyweight().wrap(buffer, 0, FlushFlyweight.LENGTH).round(0xFFFF_FFFEL);
        assertEquals(0xFFFF_FFFEL, new FlushFlyweight().wrap(buffer, 0, FlushFlyweight.LENGTH).round());
        assertThrows(ProtocolException.class, () -> new FlushFlyweight().wrap(buffer, 0, 5));
        new CompleteFlyweight().wrap(buffer, 0, CompleteFlyweight.LENGTH).encode(9, 1000, 24);
        final CompleteFlyweight complete = new CompleteFlyweight().wrap(buffer, 0, CompleteFlyweight.LENGTH);
        assertEquals(9, complete.round());
        assertEquals(1000, complete.normalPages());
        assertEquals(24, complete.zeroPages());
        assertThrows(ProtocolException.class, () -> new CompleteFlyweight().wrap(buffer, 0, 23));
    }

    @Test
    void verifyRoundTripsAndChecksChunkCounts() {
        final List<int[]> digests = List.of(new int[] {1, 2, 3}, new int[] {4});
        final int length = new VerifyFlyweight().wrap(buffer, 0, 4096).encode(42, 1 << 20, digests);
        final VerifyFlyweight verify = new VerifyFlyweight().wrap(buffer, 0, length);
        assertEquals(42, verify.downtimeMs());
        assertEquals(1 << 20, verify.chunkSize());
        final List<int[]> read = verify.digests(new int[] {3, 1});
        assertArrayEquals(digests.get(0), read.get(0));
        assertArrayEquals(digests.get(1), read.get(1));
        final ProtocolException count = assertThrows(ProtocolException.class, () -> verify.digests(new int[] {2, 1}));
        assertTrue(count.getMessage().contains("chunk count of block 0"), count.getMessage());
        final ProtocolException shortBody = assertThrows(ProtocolException.class,
            () -> new VerifyFlyweight().wrap(buffer, 0, length - 4).digests(new int[] {3, 1}));
        assertTrue(shortBody.getMessage().contains("room for the digests of block 1"), shortBody.getMessage());
    }

    @Test
    void frameHeaderRoundTrips() {
        new MessageFlyweight().wrap(buffer, 0).header(MessageFlyweight.VERIFY, 123);
        assertEquals(MessageFlyweight.VERIFY, MessageFlyweight.type(buffer, 0));
        assertEquals(123, MessageFlyweight.bodyLength(buffer, 0));
        assertEquals("VERIFY", MessageFlyweight.typeName(MessageFlyweight.VERIFY));
    }
}
