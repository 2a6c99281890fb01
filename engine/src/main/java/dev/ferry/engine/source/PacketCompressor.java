package dev.ferry.engine.source;

import dev.ferry.engine.Compression;
import dev.ferry.engine.codec.CodecTimer;
import dev.ferry.engine.codec.PageCodec;
import dev.ferry.engine.protocol.PacketHeaderFlyweight;
import dev.ferry.engine.protocol.Protocol;
import dev.ferry.memory.RamBlock;
import dev.ferry.memory.internal.PageViews;

import java.nio.ByteBuffer;

/**
 * One sender's compression of its data packets, with its own codec context and buffers.
 * <p>
 * The normal pages of a packet are cut into frames of {@link PacketHeaderFlyweight#pagesPerFrame} pages (all of
 * them, for 4 KiB pages: one codec call per packet, measured twice as fast as one per page with zstd and with
 * zlib, docs/benchmarks.md). A frame's pages are copied into a scratch buffer first (one bulk copy when they are one
 * run) and the copy is compressed, never the live mapping (see {@link #input}). A frame that would not save at least
 * 1/32 of its bytes travels raw, as views of the mapping, so
 * a packet's payload interleaves compressed frames and page views in one gathering write. A packet in which no
 * frame shrank goes out as a plain packet.
 * <p>
 * Random memory costs almost nothing: a packet that saves less than 1/16 makes this sender skip compression for
 * the next packet, then 2, 4, ... up to {@value #MAX_SKIP}, and every packet that pays resets that. So a guest of
 * random pages has one packet in 65 probed, and a guest that turns compressible is noticed within 64 packets.
 */
final class PacketCompressor implements AutoCloseable {
    /** Most packets skipped after packets that did not pay. */
    static final int MAX_SKIP = 64;
    /** The output buffer holds a packet's pages, but never more than this (pages up to 2 MiB would ask 256 MiB). */
    static final int MAX_OUT_BYTES = 16 << 20;

    private final PageCodec codec;
    private final int pageSize;
    private final int pagesPerFrame;
    private final ByteBuffer gather;
    private final ByteBuffer out;
    private final ByteBuffer[] outViews;
    private int skip;
    private int backoff = 1;
    private int payloadLength;
    private int frames;
    private final CodecTimer timer = new CodecTimer();

    PacketCompressor(final Compression compression, final int level, final int pageSize, final int slots) {
        this.codec = PageCodec.create(compression, level);
        this.pageSize = pageSize;
        this.pagesPerFrame = PacketHeaderFlyweight.pagesPerFrame(pageSize);
        this.gather = ByteBuffer.allocateDirect(pagesPerFrame * pageSize);
        this.out = ByteBuffer.allocateDirect((int)Math.min((long)Protocol.MAX_PAGES_PER_PACKET * pageSize,
            MAX_OUT_BYTES));
        this.outViews = new ByteBuffer[slots];
        for (int i = 0; i < slots; i++) {
            outViews[i] = out.duplicate();
        }
    }

    /**
     * Compresses the {@code normal} pages of a packet of {@code pageCount} pages: writes the frame lengths through
     * {@code header} and the payload's buffers into {@code iov} from index 1.
     *
     * @return the index after the last buffer in {@code iov}, or -1 when the packet goes out plain.
     */
    int compress(final RamBlock block, final long[] pages, final int normal, final int pageCount,
        final PacketHeaderFlyweight header, final ByteBuffer[] iov, final PageViews views) {
        final int blockId = block.id();
        if (skip > 0) {
            skip--;
            return -1;
        }
        timer.start();
        int next = 1;
        int at = 0;
        int payload = 0;
        int shrunk = 0;
        int frame = 0;
        for (int first = 0; first < normal; first += pagesPerFrame, frame++) {
            final int count = Math.min(pagesPerFrame, normal - first);
            final int raw = count * pageSize;
            final int room = Math.min(raw - raw / 32, out.capacity() - at);
            final int length = room > 0 ? codec.compress(input(block, pages, first, count, views), out, at, room) : -1;
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
                next = views.runs(blockId, pages, first, count, iov, next);
            }
            final int frameLength = length > 0 ? length : raw;
            header.frameLength(pageCount, frame, frameLength);
            payload += frameLength;
        }
        timer.stop();
        payloadLength = payload;
        frames = frame;
        final long raw = (long)normal * pageSize;
        if (raw - payload < raw / 16) {
            skip = backoff;
            backoff = Math.min(backoff * 2, MAX_SKIP);
        } else {
            backoff = 1;
        }
        return shrunk == 0 ? -1 : next;
    }

    /**
     * A copy of the frame's pages, taken before it is compressed: one bulk copy when they are one run, else page by
     * page. Never the mapping itself: zstd reads its input more than once (to find a match, then to emit it), so a
     * page the guest writes during the call could make another, unchanged page of the frame decode to the written
     * page's old bytes, and that page would never be sent again (PacketCompressorTest). A copy reads every byte once:
     * only the written page can be torn, and it is dirty, so the next round sends it again.
     */
    private ByteBuffer input(final RamBlock block, final long[] pages, final int first, final int count,
        final PageViews views) {
        final long start = pages[first];
        boolean run = block.windowOf(start) == block.windowOf(start + count - 1);
        for (int i = 1; i < count && run; i++) {
            run = pages[first + i] == start + i;
        }
        gather.clear();
        // Slot 0 of the views is free: iov[0] is always the header.
        if (run) {
            gather.put(views.pages(block.id(), start, count, 0));
        } else {
            for (int i = 0; i < count; i++) {
                gather.put(views.page(block.id(), pages[first + i], 0));
            }
        }
        return gather.flip();
    }

    /** The payload length of the last packet {@link #compress} compressed. */
    int payloadLength() {
        return payloadLength;
    }

    /** The number of frames of the last packet {@link #compress} compressed. */
    int frames() {
        return frames;
    }

    /** CPU time spent compressing since the last call. */
    long takeNanos() {
        return timer.take();
    }

    @Override
    public void close() {
        codec.close();
    }
}
