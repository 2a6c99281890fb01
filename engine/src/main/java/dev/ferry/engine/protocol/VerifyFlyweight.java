package dev.ferry.engine.protocol;

import org.agrona.MutableDirectBuffer;

import java.util.ArrayList;
import java.util.List;

/**
 * The VERIFY body (source to destination, after APPLIED): the downtime the source measured and the digests of its
 * paused memory, one CRC32C per chunk of each block.
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                     downtime in ms (8 bytes)                  |  0
 *  +---------------------------------------------------------------+
 *  |                        chunk size                             |  8
 *  +---------------------------------------------------------------+
 *  |               block count (0: not verified)                   | 12
 *  +---------------------------------------------------------------+
 *  then per block:
 *  +---------------------------------------------------------------+
 *  |                        chunk count                            |  0
 *  +---------------------------------------------------------------+
 *  |                   CRC32C of each chunk, 4 bytes each    ...   |  4
 *  +---------------------------------------------------------------+
 * </pre>
 */
public final class VerifyFlyweight {
    public static final int DOWNTIME_OFFSET = 0;
    public static final int CHUNK_SIZE_OFFSET = 8;
    public static final int BLOCK_COUNT_OFFSET = 12;
    public static final int BLOCKS_OFFSET = 16;
    public static final int CHUNK_COUNT_LENGTH = 4;
    public static final int DIGEST_LENGTH = 4;

    private MutableDirectBuffer buffer;
    private int offset;
    private int length;

    /** Wraps a body of {@code length} bytes at {@code offset}; for encoding, {@code length} is the room. */
    public VerifyFlyweight wrap(final MutableDirectBuffer buffer, final int offset, final int length) {
        this.buffer = buffer;
        this.offset = offset;
        this.length = length;
        return this;
    }

    /** Writes the body; {@code digests} empty means not verified. Returns its length. */
    public int encode(final long downtimeMs, final int chunkSizeBytes, final List<int[]> digests) {
        buffer.putLong(offset + DOWNTIME_OFFSET, downtimeMs, Protocol.BYTE_ORDER);
        buffer.putInt(offset + CHUNK_SIZE_OFFSET, chunkSizeBytes, Protocol.BYTE_ORDER);
        buffer.putInt(offset + BLOCK_COUNT_OFFSET, digests.size(), Protocol.BYTE_ORDER);
        int at = offset + BLOCKS_OFFSET;
        for (final int[] block : digests) {
            buffer.putInt(at, block.length, Protocol.BYTE_ORDER);
            at += CHUNK_COUNT_LENGTH;
            for (final int digest : block) {
                buffer.putInt(at, digest, Protocol.BYTE_ORDER);
                at += DIGEST_LENGTH;
            }
        }
        return at - offset;
    }

    public long downtimeMs() {
        requireFixedPart();
        return buffer.getLong(offset + DOWNTIME_OFFSET, Protocol.BYTE_ORDER);
    }

    public int chunkSize() {
        requireFixedPart();
        return buffer.getInt(offset + CHUNK_SIZE_OFFSET, Protocol.BYTE_ORDER);
    }

    public int blockCount() {
        requireFixedPart();
        return buffer.getInt(offset + BLOCK_COUNT_OFFSET, Protocol.BYTE_ORDER);
    }

    /**
     * The digests per block, each block's chunk count checked against {@code expectedChunks} and every length
     * against the body before it is read.
     */
    public List<int[]> digests(final int[] expectedChunks) {
        final int blocks = blockCount();
        ProtocolException.check(blocks == expectedChunks.length, "VERIFY block count", blocks,
            Integer.toString(expectedChunks.length));
        final List<int[]> digests = new ArrayList<>(blocks);
        int at = BLOCKS_OFFSET;
        for (int b = 0; b < blocks; b++) {
            ProtocolException.check(at + CHUNK_COUNT_LENGTH <= length, "VERIFY length", length, "room for block " + b);
            final int chunks = buffer.getInt(offset + at, Protocol.BYTE_ORDER);
            ProtocolException.check(chunks == expectedChunks[b], "VERIFY chunk count of block " + b, chunks,
                Integer.toString(expectedChunks[b]));
            at += CHUNK_COUNT_LENGTH;
            ProtocolException.check(at + (long)DIGEST_LENGTH * chunks <= length, "VERIFY length", length,
                "room for the digests of block " + b);
            final int[] block = new int[chunks];
            for (int c = 0; c < chunks; c++, at += DIGEST_LENGTH) {
                block[c] = buffer.getInt(offset + at, Protocol.BYTE_ORDER);
            }
            digests.add(block);
        }
        return digests;
    }

    private void requireFixedPart() {
        ProtocolException.check(length >= BLOCKS_OFFSET, "VERIFY body length", length, ">= " + BLOCKS_OFFSET);
    }
}
