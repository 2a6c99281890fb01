package dev.ferry.engine.destination;

import dev.ferry.engine.api.Compression;
import dev.ferry.engine.channel.Connection;
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
 * One receiver's side of compression: checks a compressed packet's frame table, then reads its payload and applies
 * it page by page. A raw frame (as long as a page) is read straight into the mapping; runs of compressed frames are
 * read into a scratch buffer and each decompressed into a one-page scratch, checked to be exactly one page, and only
 * then copied into the mapping. No byte of a malformed frame reaches guest memory.
 */
final class PacketDecompressor implements AutoCloseable {
    /** The read buffer holds a packet's pages, but never more than this. */
    static final int MAX_IN_BYTES = 16 << 20;

    private final PageCodec codec;
    private final int pageSize;
    private final ByteBuffer in;
    private final ByteBuffer page;
    private final UnsafeBuffer pageBuffer;
    private final int[] frames = new int[Protocol.MAX_PAGES_PER_PACKET];
    private long nanos;

    PacketDecompressor(final Compression compression, final int pageSize) {
        this.codec = PageCodec.create(compression);
        this.pageSize = pageSize;
        this.in = ByteBuffer.allocateDirect((int)Math.min((long)Protocol.MAX_PAGES_PER_PACKET * pageSize, MAX_IN_BYTES));
        this.page = ByteBuffer.allocateDirect(pageSize);
        this.pageBuffer = new UnsafeBuffer(page);
    }

    /**
     * Checks the frame table of a compressed packet of {@code pageCount} pages, {@code normal} of them with bytes:
     * every frame 1..page size bytes, and their sum the payload length. Messages are built only on failure: nothing
     * is allocated per packet.
     */
    void checkFrames(final PacketHeaderFlyweight header, final int pageCount, final int normal, final long payload) {
        ProtocolException.check(normal >= 1, "normal page count of a compressed packet", normal, "at least 1");
        long sum = 0;
        for (int i = 0; i < normal; i++) {
            final long frame = header.frameLength(pageCount, i);
            if (frame < 1 || frame > pageSize) {
                throw new ProtocolException("invalid frame length of page " + i + " " + frame + ": expected 1.." +
                    pageSize + " (a page raw)");
            }
            frames[i] = (int)frame;
            sum += frame;
        }
        if (sum != payload) {
            throw new ProtocolException("invalid payload length " + payload + ": expected " + sum +
                " (the sum of the frame lengths)");
        }
    }

    /** Reads the payload of the last checked packet and applies its {@code normal} pages of {@code block}. */
    void apply(final Connection connection, final RamBlock block, final long[] pages, final int normal,
        final PageViews views) throws IOException {
        int i = 0;
        while (i < normal) {
            if (frames[i] == pageSize) {
                connection.readFully(views.page(block.id(), pages[i], 0));
                i++;
                continue;
            }
            int end = i;
            int total = 0;
            while (end < normal && frames[end] < pageSize && total + frames[end] <= in.capacity()) {
                total += frames[end++];
            }
            in.clear().limit(total);
            connection.readFully(in);
            final long startNs = System.nanoTime();
            int at = 0;
            for (int k = i; k < end; k++) {
                decompress(block, pages[k], at, frames[k]);
                at += frames[k];
            }
            nanos += System.nanoTime() - startNs;
            i = end;
        }
    }

    private void decompress(final RamBlock block, final long pageIndex, final int at, final int length) {
        try {
            codec.decompress(in, at, length, page.clear());
        } catch (final ProtocolException ex) {
            throw new ProtocolException("invalid compressed page " + (pageIndex << block.pageShift()) + " of block '" +
                block.name() + "': " + ex.getMessage());
        }
        block.windowOfPage(pageIndex).putBytes(block.offsetInWindow(pageIndex), pageBuffer, 0, pageSize);
    }

    /** Time spent decompressing since the last call. */
    long takeNanos() {
        final long taken = nanos;
        nanos = 0;
        return taken;
    }

    @Override
    public void close() {
        codec.close();
    }
}
