package dev.ferry.engine.codec;

import dev.ferry.engine.Compression;
import dev.ferry.engine.protocol.ProtocolException;
import dev.ferry.memory.RamBlock;
import dev.ferry.memory.internal.Fill;
import io.airlift.compress.zstd.ZstdCompressor;
import io.airlift.compress.zstd.ZstdDecompressor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.zip.Deflater;
import java.util.zip.InflaterInputStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Each codec against an independent implementation of its format (aircompressor's pure-Java zstd, the JDK's zlib
 * streams), both ways, and against malformed frames: each must be refused, never taken for a page.
 */
final class PageCodecTest {
    private static final int PAGE = 4096;
    private static final int PAGES = 16;
    private static final int KEEP_BELOW = PAGE - PAGE / 32;

    private final RamBlock block = RamBlock.anonymous(0, "test", (long)PAGES * PAGE, PAGE);
    private final ByteBuffer out = ByteBuffer.allocateDirect(2 * PAGE);
    private final ByteBuffer target = ByteBuffer.allocateDirect(PAGE);

    @AfterEach
    void close() {
        block.close();
    }

    private ByteBuffer page(final int index) {
        return block.windowByteBuffer(0).duplicate().limit((index + 1) * PAGE).position(index * PAGE);
    }

    private static byte[] bytes(final ByteBuffer buffer, final int offset, final int length) {
        final byte[] copy = new byte[length];
        buffer.duplicate().clear().position(offset).get(copy);
        return copy;
    }

    private static byte[] reference(final Compression compression, final byte[] frame) throws IOException {
        if (compression == Compression.ZSTD) {
            final byte[] page = new byte[PAGE];
            assertEquals(PAGE, new ZstdDecompressor().decompress(frame, 0, frame.length, page, 0, PAGE));
            return page;
        }
        try (InflaterInputStream in = new InflaterInputStream(new ByteArrayInputStream(frame))) {
            return in.readAllBytes();
        }
    }

    private static byte[] referenceCompress(final Compression compression, final byte[] page) {
        final byte[] frame = new byte[2 * PAGE];
        if (compression == Compression.ZSTD) {
            return Arrays.copyOf(frame, new ZstdCompressor().compress(page, 0, page.length, frame, 0, frame.length));
        }
        final Deflater deflater = new Deflater(Deflater.DEFAULT_COMPRESSION);
        deflater.setInput(page);
        deflater.finish();
        final int length = deflater.deflate(frame);
        deflater.end();
        return Arrays.copyOf(frame, length);
    }

    private ByteBuffer direct(final byte[] bytes) {
        return ByteBuffer.allocateDirect(bytes.length + 1).put(bytes).clear();
    }

    @ParameterizedTest
    @EnumSource(value = Compression.class, names = {"ZSTD", "ZLIB"})
    void framesReadByAnIndependentDecoderAndTheOtherWayRound(final Compression compression) throws IOException {
        Fill.compressible(block, 1.0 / 3, 7);
        try (PageCodec codec = PageCodec.create(compression)) {
            for (int p = 0; p < PAGES; p++) {
                final ByteBuffer page = page(p);
                final byte[] original = bytes(page, page.position(), PAGE);
                final int length = codec.compress(page, out, 16, KEEP_BELOW);
                assertTrue(length > 0 && length < PAGE / 2, "page " + p + " compressed to " + length);
                assertEquals(p * PAGE, page.position(), "the page view is left as it was");
                assertArrayEquals(original, reference(compression, bytes(out, 16, length)), "page " + p);

                codec.decompress(out, 16, length, target.clear());
                assertArrayEquals(original, bytes(target, 0, PAGE));
                final byte[] foreign = referenceCompress(compression, original);
                codec.decompress(direct(foreign), 0, foreign.length, target.clear());
                assertArrayEquals(original, bytes(target, 0, PAGE), "a frame made by another implementation");
            }
        }
    }

    @Test
    void everyLevelMakesFramesTheDefaultDecoderReads() {
        Fill.compressible(block, 1.0 / 3, 8);
        final byte[] original = bytes(page(0), 0, PAGE);
        for (final Object[] codec : new Object[][] {{Compression.ZSTD, -7}, {Compression.ZSTD, -3},
            {Compression.ZSTD, 19}, {Compression.ZLIB, 9}}) {
            try (PageCodec compressor = PageCodec.create((Compression)codec[0], (Integer)codec[1]);
                 PageCodec decompressor = PageCodec.create((Compression)codec[0])) {
                final int length = compressor.compress(page(0), out, 0, KEEP_BELOW);
                assertTrue(length > 0, codec[0] + " level " + codec[1]);
                decompressor.decompress(out, 0, length, target.clear());
                assertArrayEquals(original, bytes(target, 0, PAGE), codec[0] + " level " + codec[1]);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = Compression.class, names = {"ZSTD", "ZLIB"})
    void aRandomPageDoesNotFitAndTravelsRaw(final Compression compression) {
        Fill.random(block, 3);
        try (PageCodec codec = PageCodec.create(compression)) {
            assertEquals(-1, codec.compress(page(0), out, 0, KEEP_BELOW));
        }
    }

    @ParameterizedTest
    @EnumSource(value = Compression.class, names = {"ZSTD", "ZLIB"})
    void malformedFramesAreRefusedNamingWhatWasWrong(final Compression compression) {
        Fill.compressible(block, 1.0 / 3, 9);
        try (PageCodec codec = PageCodec.create(compression)) {
            final byte[] original = bytes(page(0), 0, PAGE);
            final byte[] frame = referenceCompress(compression, original);
            final byte[] half = referenceCompress(compression, Arrays.copyOf(original, PAGE / 2));
            final byte[] two = referenceCompress(compression, Arrays.copyOf(bytes(page(0), 0, 2 * PAGE), 2 * PAGE));
            final byte[] garbage = new byte[100];
            new java.util.SplittableRandom(1).nextBytes(garbage);
            final String name = compression.cliName();
            assertRefused(codec, garbage, name);
            final String cut = assertRefused(codec, Arrays.copyOf(frame, frame.length - 1), name);
            if (compression == Compression.ZLIB) {
                // Issue 17: a stream cut short was said to decompress "to more than 3872 bytes".
                assertTrue(cut.contains("is cut short: its input ends after ") && !cut.contains("more than"), cut);
            }
            assertRefused(codec, Arrays.copyOf(frame, frame.length + 1), name);
            assertRefused(codec, new byte[1], name);
            assertTrue(assertRefused(codec, half, name).contains("expected " + PAGE + " (its pages)"));
            assertRefused(codec, two, name);
        }
    }

    private String assertRefused(final PageCodec codec, final byte[] frame, final String name) {
        final ProtocolException refused = assertThrows(ProtocolException.class,
            () -> codec.decompress(direct(frame), 0, frame.length, target.clear()));
        assertTrue(refused.getMessage().startsWith(name + " "), refused.getMessage());
        return refused.getMessage();
    }
}
