package dev.ferry.engine.source;

import dev.ferry.engine.Compression;
import dev.ferry.engine.codec.PageCodec;
import dev.ferry.engine.protocol.PacketHeaderFlyweight;
import dev.ferry.engine.protocol.Protocol;
import dev.ferry.memory.BlockSpec;
import dev.ferry.memory.GuestMemory;
import dev.ferry.memory.RamBlock;
import dev.ferry.memory.internal.PageViews;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A frame is compressed while the guest writes one of its pages: only that page may arrive torn (it is dirty and
 * goes again in the next round); every other page of the frame must decode to exactly its bytes.
 * <p>
 * Found in issue 17's work, as the one unexplained failure of {@code CompressionTest}'s 64 KiB-page case
 * (reliability.md): zstd read the mapping more than once while compressing a frame (to find a match, then to copy
 * it), so a page written meanwhile could make a <em>neighbouring, unchanged</em> page decode to the written page's
 * old bytes (a match chosen against its new bytes, decoded against the old ones emitted before). That page was
 * never dirty again, so the destination kept it wrong: verification failed, and without verification the guest
 * would have been silently corrupt. The compressor now takes a copy of the frame's pages first and compresses the
 * copy, which reads every byte once.
 */
@Timeout(60)
final class PacketCompressorTest {
    private static final int PAGE = 4096;
    private static final int PAGES = 128;
    /** The page the "guest" writes while the frame is compressed; the page after it holds what it flips to. */
    private static final long WRITTEN = 40;

    @Test
    void aPageWrittenDuringCompressionNeverCorruptsAnotherPage() throws Exception {
        try (GuestMemory memory = GuestMemory.anonymous(List.of(new BlockSpec(0, "ram", (long)PAGES * PAGE)), PAGE);
             PacketCompressor compressor = new PacketCompressor(Compression.ZSTD, 1, PAGE, 1 + PAGES);
             PageCodec codec = PageCodec.create(Compression.ZSTD)) {
            final RamBlock block = memory.block(0);
            fill(block);
            final byte[] expected = new byte[PAGES * PAGE];
            block.window(0).getBytes(0, expected);
            final AtomicBoolean running = new AtomicBoolean(true);
            final Thread guest = new Thread(() -> flip(block, running), "guest");
            guest.setDaemon(true);
            guest.start();
            try {
                final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
                int frames = 0;
                while (System.nanoTime() - deadlineNs < 0 || frames < 200) {
                    checkOneFrame(memory, compressor, codec, expected);
                    frames++;
                    if (frames > 20_000) {
                        break;
                    }
                }
            } finally {
                running.set(false);
                guest.join(10_000);
            }
        }
    }

    /**
     * Every page: 16 bytes of stamp (its index, then a version of 1 in a long: mostly zero bytes), then its own
     * 8-byte pattern repeated (compressible, and unlike any other page's).
     */
    private static void fill(final RamBlock block) {
        final SplittableRandom random = new SplittableRandom(17);
        for (long page = 0; page < PAGES; page++) {
            final UnsafeBuffer window = block.windowOfPage(page);
            final int at = block.offsetInWindow(page);
            long pattern = random.nextLong() | 0x0101010101010101L;
            for (int i = 16; i < PAGE; i += 8) {
                window.putLong(at + i, pattern);
            }
            window.putLong(at, page);
            window.putLong(at + 8, 1);
        }
    }

    /** Flips the written page's first 16 bytes between its own pattern and a stamp like its neighbour's. */
    private static void flip(final RamBlock block, final AtomicBoolean running) {
        final UnsafeBuffer window = block.windowOfPage(WRITTEN);
        final int at = block.offsetInWindow(WRITTEN);
        final long pattern = window.getLong(at + 16);
        long n = 0;
        while (running.get()) {
            final boolean stamp = (n++ & 1) == 0;
            window.putLongVolatile(at, stamp ? WRITTEN + 1 : pattern);
            window.putLongVolatile(at + 8, stamp ? 1 : pattern);
        }
    }

    private static void checkOneFrame(final GuestMemory memory, final PacketCompressor compressor,
        final PageCodec codec, final byte[] expected) {
        final RamBlock block = memory.block(0);
        final long[] pages = new long[PAGES];
        for (int i = 0; i < PAGES; i++) {
            pages[i] = i;
        }
        final UnsafeBuffer headerBuffer = new UnsafeBuffer(ByteBuffer.allocateDirect(
            PacketHeaderFlyweight.MAX_HEADER_AND_OFFSETS_LENGTH).order(Protocol.BYTE_ORDER));
        final PacketHeaderFlyweight header = new PacketHeaderFlyweight().wrap(headerBuffer);
        final ByteBuffer[] iov = new ByteBuffer[1 + PAGES];
        final int end = compressor.compress(block, pages, PAGES, PAGES, header, iov, new PageViews(memory, 1 + PAGES));
        assertTrue(end > 1, "the frame compressed");
        assertEquals(1, compressor.frames());
        final ByteBuffer payload = ByteBuffer.allocateDirect(compressor.payloadLength());
        for (int i = 1; i < end; i++) {
            payload.put(iov[i].duplicate());
        }
        final ByteBuffer decoded = ByteBuffer.allocateDirect(PAGES * PAGE);
        codec.decompress(payload, 0, compressor.payloadLength(), decoded);
        for (int page = 0; page < PAGES; page++) {
            if (page == WRITTEN) {
                continue;
            }
            for (int i = 0; i < PAGE; i++) {
                if (decoded.get(page * PAGE + i) != expected[page * PAGE + i]) {
                    fail("page " + page + ", not written, decoded wrong at byte " + i + " while page " + WRITTEN +
                        " was written during the compression");
                }
            }
        }
    }
}
