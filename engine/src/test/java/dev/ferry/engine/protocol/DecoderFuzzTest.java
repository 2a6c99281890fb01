package dev.ferry.engine.protocol;

import dev.ferry.engine.GuestName;
import dev.ferry.engine.fuzz.Fuzz;
import dev.ferry.memory.BlockSpec;
import dev.ferry.memory.MemoryException;
import dev.ferry.memory.RamBlock;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fuzzing of every main-channel body decoder and the packet header (seeded properties, {@link Fuzz}): random bodies
 * and valid bodies with random mutations spliced in. Whatever the bytes, a decoder answers with values inside their
 * bounds or throws {@link ProtocolException} naming the field; never another exception (an index out of bounds, a
 * division by zero, an allocation sized by the wire). A short run (1,000 tries a property) is part of
 * {@code mvn test}; the campaign of docs/reliability.md runs the same properties with {@code -Dferry.fuzz.tries=...}.
 */
final class DecoderFuzzTest {
    private static final int MAX_BODY = 4096;
    private static final int TRIES = 1000;

    /** A valid SETUP of three blocks, then {@code mutations} (position, byte) applied, truncated to {@code cut}. */
    private static UnsafeBuffer mutatedSetup(final List<Integer> mutations, final int cut) {
        final UnsafeBuffer buffer = new UnsafeBuffer(ByteBuffer.allocateDirect(MAX_BODY));
        final int length = new SetupFlyweight().wrap(buffer, 0, MAX_BODY).encode(4096, 2, 0, 0, List.of(
            new BlockSpec(0, "pc.ram", 64L << 20), new BlockSpec(7, "vga.vram", 1L << 20), new BlockSpec(3, "rom", 8192)),
            "guest-1");
        for (final int mutation : mutations) {
            buffer.putByte(Math.floorMod(mutation >> 8, length), (byte)mutation);
        }
        return new UnsafeBuffer(buffer, 0, Math.min(length, Math.max(0, cut)));
    }

    @Test
    void aMutatedSetupDecodesWithinBoundsOrIsRefused() {
        Fuzz.check("mutated SETUP", TRIES, input -> {
            final List<Integer> mutations = input.ints(1, 8);
            final int cut = input.anyInt();
            decodeSetup(mutatedSetup(mutations, cut < 0 ? Integer.MAX_VALUE : cut % 200));
        });
    }

    @Test
    void randomBytesAsSetupAreRefusedCleanly() {
        Fuzz.check("random SETUP", TRIES, input -> decodeSetup(new UnsafeBuffer(input.bytes(0, 300))));
    }

    /** As the destination does: page size, counts, verify mode, then the block table. */
    private static void decodeSetup(final UnsafeBuffer body) {
        expectOnlyProtocolErrors(() -> {
            final SetupFlyweight setup = new SetupFlyweight().wrap(body, 0, body.capacity());
            final int pageSize = setup.pageSize();
            RamBlock.validatePageSize(pageSize);
            setup.channelCount();
            setup.verifyMode();
            final List<BlockSpec> blocks = setup.blocks(pageSize);
            final String name = setup.guestName();
            assertNull(GuestName.problem(name), name);
            long total = 0;
            for (final BlockSpec block : blocks) {
                assertTrue(block.lengthBytes() > 0 && block.lengthBytes() % pageSize == 0, block.toString());
                total = Math.addExact(total, block.lengthBytes());
                assertTrue(!block.name().isEmpty() && block.id() >= 0, block.toString());
            }
        });
    }

    @Test
    void randomBytesAsStatusCompleteFlushAndVerifyAreRefusedCleanly() {
        Fuzz.check("random STATUS, COMPLETE, FLUSH, VERIFY", TRIES, input -> {
            final byte[] bytes = input.bytes(0, 300);
            final List<Integer> chunks = input.intsIn(0, 4, 0, 4096);
            final UnsafeBuffer body = new UnsafeBuffer(bytes);
            expectOnlyProtocolErrors(() -> new StatusFlyweight().wrap(body, 0, bytes.length).text());
            expectOnlyProtocolErrors(() -> new StatusFlyweight().wrap(body, 0, bytes.length).code());
            expectOnlyProtocolErrors(() -> new CompleteFlyweight().wrap(body, 0, bytes.length).zeroPages());
            expectOnlyProtocolErrors(() -> new FlushFlyweight().wrap(body, 0, bytes.length).round());
            expectOnlyProtocolErrors(() -> {
                final VerifyFlyweight verify = new VerifyFlyweight().wrap(body, 0, bytes.length);
                verify.downtimeMs();
                verify.chunkSize();
                final List<int[]> digests = verify.digests(chunks.stream().mapToInt(Integer::intValue).toArray());
                assertTrue(digests.size() == chunks.size());
            });
        });
    }

    /** What the main channel checks before reading a body: a known type and a body no longer than the maximum. */
    @Test
    void aFrameHeaderPassesOnlyWithAKnownTypeAndABoundedBody() {
        Fuzz.check("frame header", TRIES, input -> {
            final UnsafeBuffer frame = new UnsafeBuffer(input.bytes(8, 8));
            expectOnlyProtocolErrors(() -> {
                final int length = MessageFlyweight.checkedBodyLength(frame, 0);
                final int type = MessageFlyweight.type(frame, 0);
                assertTrue(length >= 0 && length <= Protocol.MAX_MESSAGE_BODY_LENGTH, "body length " + length);
                assertTrue(type >= MessageFlyweight.SETUP && type <= MessageFlyweight.CANCEL, "type " + type);
            });
        });
    }

    private static void expectOnlyProtocolErrors(final Runnable decode) {
        try {
            decode.run();
        } catch (final ProtocolException ex) {
            assertTrue(ex.getMessage().startsWith("invalid "), ex.getMessage());
        } catch (final MemoryException ex) {
            // RamBlock.validatePageSize's refusal, which SessionSetup turns into a ProtocolException naming it.
            assertTrue(ex.getMessage().startsWith("page size"), ex.getMessage());
        }
    }
}
