package dev.ferry.engine.codec;

import dev.ferry.engine.Compression;
import dev.ferry.engine.fuzz.Fuzz;
import dev.ferry.engine.protocol.ProtocolException;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fuzzing of the decompressors (seeded properties, {@link Fuzz}; 1,000 tries a property in {@code mvn test},
 * {@code -Dferry.fuzz.tries=N} for a campaign): the destination hands them whatever a source sent, and zstd's decoder is
 * native code, so a bad frame must never crash the JVM, write past the frame's buffer or decode to anything but
 * exactly its pages. Random bytes, and valid frames of one to eight pages with random mutations spliced in: each
 * decodes to exactly the expected bytes (and then, unmutated, to the original) or is refused with a
 * {@link ProtocolException}; the guard bytes after the output buffer stay untouched.
 */
final class FrameFuzzTest {
    private static final int PAGE = 4096;
    private static final byte GUARD = (byte)0xA5;

    private static final int TRIES = 1000;

    @Test
    void randomBytesAreRefusedCleanly() {
        Fuzz.check("random frame", TRIES, input -> decode(input.oneOf(Compression.ZSTD, Compression.ZLIB),
            input.bytes(1, 600), input.intIn(1, 8), null));
    }

    @Test
    void mutatedFramesDecodeExactlyOrAreRefused() {
        Fuzz.check("mutated frame", TRIES, input -> {
            final Compression compression = input.oneOf(Compression.ZSTD, Compression.ZLIB);
            final int pages = input.intIn(1, 8);
            final SplittableRandom random = new SplittableRandom(input.anyLong());
            final List<Integer> mutations = input.ints(1, 6);
            final byte[] original = new byte[pages * PAGE];
            for (int i = 0; i < original.length; i += 64) {
                if (i == 0 || random.nextInt(3) == 0) {
                    for (int j = 0; j < 64; j++) {
                        original[i + j] = (byte)random.nextInt();
                    }
                } else {
                    System.arraycopy(original, random.nextInt(i / 64) * 64, original, i, 64);
                }
            }
            final byte[] frame = compress(compression, original);
            decode(compression, frame, pages, original);
            for (final int mutation : mutations) {
                frame[Math.floorMod(mutation >> 8, frame.length)] ^= (byte)(mutation | 1);
            }
            decode(compression, frame, pages, null);
        });
    }

    private static byte[] compress(final Compression compression, final byte[] original) {
        final ByteBuffer in = ByteBuffer.allocateDirect(original.length).put(original).flip();
        final ByteBuffer out = ByteBuffer.allocateDirect(2 * original.length);
        try (PageCodec codec = PageCodec.create(compression)) {
            final int length = codec.compress(in, out, 0, out.capacity());
            assertTrue(length > 0);
            final byte[] frame = new byte[length];
            out.get(0, frame);
            return frame;
        }
    }

    /** Decodes {@code frame} as {@code pages} pages: exactly {@code expected} if given, else anything or a refusal. */
    private static void decode(final Compression compression, final byte[] frame, final int pages,
        final byte[] expected) {
        final ByteBuffer in = ByteBuffer.allocateDirect(frame.length).put(frame).flip();
        final ByteBuffer out = ByteBuffer.allocateDirect(pages * PAGE + 64);
        for (int i = pages * PAGE; i < out.capacity(); i++) {
            out.put(i, GUARD);
        }
        try (PageCodec codec = PageCodec.create(compression)) {
            codec.decompress(in, 0, frame.length, out.duplicate().limit(pages * PAGE));
            if (null != expected) {
                final byte[] decoded = new byte[pages * PAGE];
                out.get(0, decoded);
                assertArrayEquals(expected, decoded);
            }
        } catch (final ProtocolException refused) {
            assertTrue(null == expected, "a valid frame was refused: " + refused.getMessage());
            assertTrue(refused.getMessage().startsWith(compression.cliName() + " "), refused.getMessage());
        }
        for (int i = pages * PAGE; i < out.capacity(); i++) {
            assertEquals(GUARD, out.get(i), "byte " + i + " past the frame's pages was written");
        }
    }
}
