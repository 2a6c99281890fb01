package dev.ferry.engine.destination;

import dev.ferry.engine.Compression;
import dev.ferry.engine.channel.Connection;
import dev.ferry.engine.codec.CodecTimer;
import dev.ferry.engine.codec.PageCodec;
import dev.ferry.engine.protocol.PacketHeaderFlyweight;
import dev.ferry.engine.protocol.Protocol;
import dev.ferry.engine.protocol.ProtocolException;
import dev.ferry.memory.RamBlock;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * One receiver's side of compression: checks a compressed packet's frame table, then reads its payload frame by
 * frame into a staging buffer: a raw frame (as long as its pages) as it is, a compressed one through a scratch buffer,
 * decompressed and checked to be exactly its pages' bytes. Only when every frame of the packet is in and checked are
 * the pages copied into the mapping: a packet refused for any of its frames leaves guest memory as it was (before,
 * frame 0 was in memory when frame 1 was refused). The staging buffer holds a whole packet of pages up to 32 KiB
 * ({@link #STAGE_BYTES}); a packet of larger pages is staged, checked and copied that many frames at a time.
 * Both buffers are made once: nothing is allocated per packet.
 */
final class PacketDecompressor implements AutoCloseable {
    /** The most bytes of pages staged before any is copied: a full packet of 4 KiB to 32 KiB pages. */
    static final int STAGE_BYTES = 8 << 20;

    private final PageCodec codec;
    private final int pageSize;
    private final int pagesPerFrame;
    private final int frameBytes;
    private final int stageFrames;
    private final ByteBuffer in;
    private final ByteBuffer stage;
    private final UnsafeBuffer stageBuffer;
    private final int[] frames = new int[Protocol.MAX_PAGES_PER_PACKET];
    private int frameCount;
    private final CodecTimer timer = new CodecTimer();

    PacketDecompressor(final Compression compression, final int pageSize) {
        this.codec = PageCodec.create(compression);
        this.pageSize = pageSize;
        this.pagesPerFrame = PacketHeaderFlyweight.pagesPerFrame(pageSize);
        this.frameBytes = pagesPerFrame * pageSize;
        this.stageFrames = Math.max(1, Math.min(PacketHeaderFlyweight.frameCount(Protocol.MAX_PAGES_PER_PACKET, pageSize),
            STAGE_BYTES / frameBytes));
        this.in = ByteBuffer.allocateDirect(frameBytes);
        this.stage = ByteBuffer.allocateDirect(stageFrames * frameBytes);
        this.stageBuffer = new UnsafeBuffer(stage);
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
                throw new ProtocolException("invalid length of frame " + f + ": " + frame + " bytes, expected 1.." +
                    raw + " (" + raw + " is its pages raw)");
            }
            frames[f] = (int)frame;
            sum += frame;
        }
        if (sum != payload) {
            throw new ProtocolException("invalid payload length " + payload + ": expected " + sum +
                " (the sum of the frame lengths)");
        }
    }

    /**
     * Reads the payload of the last checked packet and applies its {@code normal} pages of {@code block}: every frame
     * (of a packet of pages up to 32 KiB; else of each {@link #STAGE_BYTES}) is read and checked before any page is
     * copied into the mapping.
     */
    void apply(final Connection connection, final RamBlock block, final long[] pageIndexes, final int normal)
        throws IOException {
        for (int from = 0; from < frameCount; from += stageFrames) {
            final int to = Math.min(frameCount, from + stageFrames);
            for (int f = from; f < to; f++) {
                stageFrame(connection, block, pageIndexes, normal, f, (f - from) * frameBytes);
            }
            for (int f = from; f < to; f++) {
                final int first = f * pagesPerFrame;
                final int count = Math.min(pagesPerFrame, normal - first);
                final int offset = (f - from) * frameBytes;
                for (int i = 0; i < count; i++) {
                    final long page = pageIndexes[first + i];
                    block.windowOfPage(page).putBytes(block.offsetInWindow(page), stageBuffer, offset + i * pageSize,
                        pageSize);
                }
            }
        }
    }

    /** Frame {@code f}'s pages into the staging buffer at {@code offset}, raw or decompressed and checked. */
    private void stageFrame(final Connection connection, final RamBlock block, final long[] pageIndexes,
        final int normal, final int f, final int offset) throws IOException {
        final int first = f * pagesPerFrame;
        final int count = Math.min(pagesPerFrame, normal - first);
        final int raw = count * pageSize;
        stage.clear().position(offset).limit(offset + raw);
        if (frames[f] == raw) {
            connection.readFully(stage);
            return;
        }
        in.clear().limit(frames[f]);
        connection.readFully(in);
        timer.start();
        try {
            codec.decompress(in, 0, frames[f], stage);
        } catch (final ProtocolException ex) {
            throw new ProtocolException("invalid compressed frame " + f + " (" + count + " pages from offset " +
                (pageIndexes[first] << block.pageShift()) + ") of block '" + block.name() + "': " + ex.getMessage());
        }
        timer.stop();
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
