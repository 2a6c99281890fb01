package dev.ferry.engine.source;

import dev.ferry.engine.api.Compression;
import dev.ferry.engine.codec.PageCodec;
import dev.ferry.engine.protocol.PacketHeaderFlyweight;
import dev.ferry.engine.protocol.Protocol;
import dev.ferry.memory.PageViews;

import java.nio.ByteBuffer;

/**
 * One sender's compression of its data packets, with its own codec context and output buffer.
 * <p>
 * Each normal page is compressed on its own into the output buffer; a page whose frame would not save at least
 * 1/32 of a page travels raw, straight from the mapping, so a packet's payload interleaves frames and page views
 * in one gathering write. A packet in which no page shrank goes out as a plain packet.
 * <p>
 * Random memory costs almost nothing: a packet that saves less than 1/16 makes this sender skip compression for
 * the next packet, then 2, 4, ... up to {@value #MAX_SKIP}, and every packet that pays resets that. So a guest of
 * random pages has one packet in 65 probed, and a guest that turns compressible is noticed within 64 packets.
 */
final class PacketCompressor implements AutoCloseable {
    /** Most packets skipped after packets that did not pay. */
    static final int MAX_SKIP = 64;
    /** The output buffer is a packet's pages, but never more than this (pages up to 2 MiB would ask 256 MiB). */
    static final int MAX_OUT_BYTES = 16 << 20;

    private final PageCodec codec;
    private final int pageSize;
    private final int keepBelow;
    private final ByteBuffer out;
    private final ByteBuffer[] outViews;
    private int skip;
    private int backoff = 1;
    private int payloadLength;
    private long nanos;

    PacketCompressor(final Compression compression, final int pageSize, final int slots) {
        this.codec = PageCodec.create(compression);
        this.pageSize = pageSize;
        this.keepBelow = pageSize - pageSize / 32;
        this.out = ByteBuffer.allocateDirect((int)Math.min((long)Protocol.MAX_PAGES_PER_PACKET * pageSize,
            MAX_OUT_BYTES));
        this.outViews = new ByteBuffer[slots];
        for (int i = 0; i < slots; i++) {
            outViews[i] = out.duplicate();
        }
    }

    /**
     * Compresses the {@code normal} pages of a packet of {@code pageCount} pages: writes their frame lengths through
     * {@code header} and their payload into {@code iov} from index 1.
     *
     * @return the index after the last buffer in {@code iov}, or -1 when the packet goes out plain.
     */
    int compress(final int blockId, final long[] pages, final int normal, final int pageCount,
        final PacketHeaderFlyweight header, final ByteBuffer[] iov, final PageViews views) {
        if (skip > 0) {
            skip--;
            return -1;
        }
        final long startNs = System.nanoTime();
        int next = 1;
        int at = 0;
        int payload = 0;
        int shrunk = 0;
        for (int i = 0; i < normal; i++) {
            // Slot 0 of the views is free: iov[0] is always the header.
            final int room = Math.min(keepBelow, out.capacity() - at);
            final int length = room > 0 ? codec.compress(views.page(blockId, pages[i], 0), out, at, room) : -1;
            if (length > 0) {
                final ByteBuffer previous = iov[next - 1];
                if (next > 1 && previous == outViews[next - 1] && previous.limit() == at) {
                    previous.limit(at + length);
                } else {
                    iov[next] = outViews[next].clear().position(at).limit(at + length);
                    next++;
                }
                at += length;
                shrunk++;
            } else {
                iov[next] = views.page(blockId, pages[i], next);
                next++;
            }
            final int frame = length > 0 ? length : pageSize;
            header.frameLength(pageCount, i, frame);
            payload += frame;
        }
        nanos += System.nanoTime() - startNs;
        payloadLength = payload;
        final long raw = (long)normal * pageSize;
        if (raw - payload < raw / 16) {
            skip = backoff;
            backoff = Math.min(backoff * 2, MAX_SKIP);
        } else {
            backoff = 1;
        }
        return shrunk == 0 ? -1 : next;
    }

    /** The payload length of the last packet {@link #compress} compressed. */
    int payloadLength() {
        return payloadLength;
    }

    /** Time spent compressing since the last call. */
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
