package dev.ferry.engine.destination;

import dev.ferry.engine.api.Compression;
import dev.ferry.engine.channel.Connection;
import dev.ferry.engine.codec.CodecTimer;
import dev.ferry.engine.codec.PageCodec;
import dev.ferry.engine.protocol.PacketHeaderFlyweight;
import dev.ferry.engine.protocol.Protocol;
import dev.ferry.engine.protocol.ProtocolException;
import dev.ferry.memory.PageViews;
import dev.ferry.memory.RamBlock;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * One receiver's side of compression: checks a compressed packet's frame table, then reads its payload frame by
 * frame. A raw frame (as long as its pages) is read straight into the mapping; a compressed one is read into a
 * scratch buffer, decompressed into a second scratch buffer, checked to be exactly its pages' bytes, and only then
 * copied into the mapping page by page. No byte of a malformed frame reaches guest memory.
 */
final class PacketDecompressor implements AutoCloseable {
    private final PageCodec codec;
    private final int pageSize;
    private final int pagesPerFrame;
    private final ByteBuffer in;
    private final ByteBuffer pages;
    private final UnsafeBuffer pagesBuffer;
    private final int[] frames = new int[Protocol.MAX_PAGES_PER_PACKET];
    private int frameCount;
    private final CodecTimer timer = new CodecTimer();

    PacketDecompressor(final Compression compression, final int pageSize) {
        this.codec = PageCodec.create(compression);
        this.pageSize = pageSize;
        this.pagesPerFrame = PacketHeaderFlyweight.pagesPerFrame(pageSize);
        this.in = ByteBuffer.allocateDirect(pagesPerFrame * pageSize);
        this.pages = ByteBuffer.allocateDirect(pagesPerFrame * pageSize);
        this.pagesBuffer = new UnsafeBuffer(pages);
    }

    /** The frame-length table's bytes for a compressed packet of {@code normal} normal pages. */
    int frameTableLength(final int normal) {
        return PacketHeaderFlyweight.frameCount(normal, pageSize) * PacketHeaderFlyweight.FRAME_LENGTH_LENGTH;
    }

    /**
     * Checks the frame table of a compressed packet of {@code pageCount} pages, {@code normal} of them with bytes:
     * every frame from 1 byte to its pages' bytes, and their sum the payload length. Messages are built only on
     * failure: nothing is allocated per packet.
     */
    void checkFrames(final PacketHeaderFlyweight header, final int pageCount, final int normal, final long payload) {
        ProtocolException.check(normal >= 1, "normal page count of a compressed packet", normal, "at least 1");
        frameCount = PacketHeaderFlyweight.frameCount(normal, pageSize);
        long sum = 0;
        for (int f = 0; f < frameCount; f++) {
            final long frame = header.frameLength(pageCount, f);
            final int raw = Math.min(pagesPerFrame, normal - f * pagesPerFrame) * pageSize;
            if (frame < 1 || frame > raw) {
                throw new ProtocolException("invalid length of frame " + f + " " + frame + ": expected 1.." + raw +
                    " (its pages raw)");
            }
            frames[f] = (int)frame;
            sum += frame;
        }
        if (sum != payload) {
            throw new ProtocolException("invalid payload length " + payload + ": expected " + sum +
                " (the sum of the frame lengths)");
        }
    }

    /** Reads the payload of the last checked packet and applies its {@code normal} pages of {@code block}. */
    void apply(final Connection connection, final RamBlock block, final long[] pageIndexes, final int normal,
        final PageViews views, final ByteBuffer[] iov) throws IOException {
        for (int f = 0; f < frameCount; f++) {
            final int first = f * pagesPerFrame;
            final int count = Math.min(pagesPerFrame, normal - first);
            if (frames[f] == count * pageSize) {
                connection.readFully(iov, views.runs(block.id(), pageIndexes, first, count, iov, 0));
                continue;
            }
            in.clear().limit(frames[f]);
            connection.readFully(in);
            timer.start();
            try {
                codec.decompress(in, 0, frames[f], pages.clear().limit(count * pageSize));
            } catch (final ProtocolException ex) {
                throw new ProtocolException("invalid compressed frame " + f + " (" + count + " pages from offset " +
                    (pageIndexes[first] << block.pageShift()) + ") of block '" + block.name() + "': " + ex.getMessage());
            }
            timer.stop();
            for (int i = 0; i < count; i++) {
                final long page = pageIndexes[first + i];
                block.windowOfPage(page).putBytes(block.offsetInWindow(page), pagesBuffer, i * pageSize, pageSize);
            }
        }
    }

    /** CPU time spent decompressing since the last call. */
    long takeNanos() {
        return timer.take();
    }

    @Override
    public void close() {
        codec.close();
    }
}
