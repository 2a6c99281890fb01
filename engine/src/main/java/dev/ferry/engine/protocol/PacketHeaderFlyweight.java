package dev.ferry.engine.protocol;

import org.agrona.concurrent.UnsafeBuffer;

/**
 * The header of a data packet, followed on the wire by the page offsets and then the payload of the normal pages.
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                        magic "FRYD"                           |  0
 *  +-------------------------------+-------------------------------+
 *  |            flags              |           block id            |  4
 *  +-------------------------------+-------------------------------+
 *  |                            round                              |  8
 *  +---------------------------------------------------------------+
 *  |                 sequence number in this channel               | 12
 *  +-------------------------------+-------------------------------+
 *  |      normal page count        |       zero page count         | 16
 *  +-------------------------------+-------------------------------+
 *  |                        payload length                         | 20
 *  +---------------------------------------------------------------+
 *  |    page offset in block, 8 bytes, one per page: normal first  | 24
 *  |    then zero pages                                      ...   |
 *  +---------------------------------------------------------------+
 *  |    COMPRESSED only: frame length, 4 bytes, per frame          |
 *  +---------------------------------------------------------------+
 *  |    payload: the normal pages' bytes, in offset order    ...   |
 *  +---------------------------------------------------------------+
 * </pre>
 * flags: {@link #SYNC_FLAG} marks a SYNC, which ends the round on this channel and carries no pages. A packet
 * holds at most {@link Protocol#MAX_PAGES_PER_PACKET} pages of one block; payload length is normal count times the
 * page size. Sequence numbers start at 0 per channel and grow by one per packet, SYNCs included.
 * <p>
 * {@link #COMPRESSED_FLAG} (only when SETUP announced a codec): the normal pages are cut, in order, into frames of
 * {@link #pagesPerFrame} pages (the last may be shorter): one frame per packet of 4 KiB pages, one per page of pages
 * of 512 KiB or more. After the offsets comes one 4-byte length per frame, and the payload is those frames in order.
 * A frame as long as its pages is those pages raw; a shorter one is them compressed with the migration's codec and
 * must decompress to exactly their bytes. The payload length is the sum of the frame lengths.
 */
public final class PacketHeaderFlyweight {
    public static final int MAGIC_OFFSET = 0;
    public static final int FLAGS_OFFSET = 4;
    public static final int BLOCK_ID_OFFSET = 6;
    public static final int ROUND_OFFSET = 8;
    public static final int SEQUENCE_OFFSET = 12;
    public static final int NORMAL_COUNT_OFFSET = 16;
    public static final int ZERO_COUNT_OFFSET = 18;
    public static final int PAYLOAD_LENGTH_OFFSET = 20;
    public static final int HEADER_LENGTH = 24;
    public static final int PAGE_OFFSET_LENGTH = 8;
    public static final int FRAME_LENGTH_LENGTH = 4;
    /** Most bytes of pages in one compressed frame: the scratch each side needs. */
    public static final int MAX_FRAME_BYTES = 512 * 1024;
    /** Header plus the largest offset table and the largest frame-length table. */
    public static final int MAX_HEADER_AND_OFFSETS_LENGTH =
        HEADER_LENGTH + Protocol.MAX_PAGES_PER_PACKET * (PAGE_OFFSET_LENGTH + FRAME_LENGTH_LENGTH);

    public static final int SYNC_FLAG = 0x1;
    /** The payload is one frame per normal page, their lengths in a table after the offsets. */
    public static final int COMPRESSED_FLAG = 0x2;
    /** Every flag this version knows; any other bit set is an error. */
    public static final int KNOWN_FLAGS = SYNC_FLAG | COMPRESSED_FLAG;

    private UnsafeBuffer buffer;

    /** Wraps {@code buffer}, which must hold at least {@link #MAX_HEADER_AND_OFFSETS_LENGTH} bytes. */
    public PacketHeaderFlyweight wrap(final UnsafeBuffer buffer) {
        this.buffer = buffer;
        return this;
    }

    public PacketHeaderFlyweight header(
        final int flags, final int blockId, final int round, final int sequence, final int normalCount,
        final int zeroCount, final int payloadLength) {
        buffer.putInt(MAGIC_OFFSET, Protocol.PACKET_MAGIC, Protocol.BYTE_ORDER);
        buffer.putShort(FLAGS_OFFSET, (short)flags, Protocol.BYTE_ORDER);
        buffer.putShort(BLOCK_ID_OFFSET, (short)blockId, Protocol.BYTE_ORDER);
        buffer.putInt(ROUND_OFFSET, round, Protocol.BYTE_ORDER);
        buffer.putInt(SEQUENCE_OFFSET, sequence, Protocol.BYTE_ORDER);
        buffer.putShort(NORMAL_COUNT_OFFSET, (short)normalCount, Protocol.BYTE_ORDER);
        buffer.putShort(ZERO_COUNT_OFFSET, (short)zeroCount, Protocol.BYTE_ORDER);
        buffer.putInt(PAYLOAD_LENGTH_OFFSET, payloadLength, Protocol.BYTE_ORDER);
        return this;
    }

    public PacketHeaderFlyweight pageOffset(final int index, final long offsetBytes) {
        buffer.putLong(HEADER_LENGTH + index * PAGE_OFFSET_LENGTH, offsetBytes, Protocol.BYTE_ORDER);
        return this;
    }

    public int magic() {
        return buffer.getInt(MAGIC_OFFSET, Protocol.BYTE_ORDER);
    }

    public int flags() {
        return buffer.getShort(FLAGS_OFFSET, Protocol.BYTE_ORDER) & 0xFFFF;
    }

    public int blockId() {
        return buffer.getShort(BLOCK_ID_OFFSET, Protocol.BYTE_ORDER) & 0xFFFF;
    }

    /** The round, unsigned. */
    public long round() {
        return buffer.getInt(ROUND_OFFSET, Protocol.BYTE_ORDER) & 0xFFFF_FFFFL;
    }

    /** The sequence number, unsigned. */
    public long sequence() {
        return buffer.getInt(SEQUENCE_OFFSET, Protocol.BYTE_ORDER) & 0xFFFF_FFFFL;
    }

    public int normalCount() {
        return buffer.getShort(NORMAL_COUNT_OFFSET, Protocol.BYTE_ORDER) & 0xFFFF;
    }

    public int zeroCount() {
        return buffer.getShort(ZERO_COUNT_OFFSET, Protocol.BYTE_ORDER) & 0xFFFF;
    }

    /** The payload length, unsigned. */
    public long payloadLength() {
        return buffer.getInt(PAYLOAD_LENGTH_OFFSET, Protocol.BYTE_ORDER) & 0xFFFF_FFFFL;
    }

    /** Pages per compressed frame for pages of {@code pageSizeBytes}. */
    public static int pagesPerFrame(final int pageSizeBytes) {
        return Math.max(1, MAX_FRAME_BYTES / pageSizeBytes);
    }

    /** Frames of a compressed packet of {@code normal} normal pages of {@code pageSizeBytes}. */
    public static int frameCount(final int normal, final int pageSizeBytes) {
        final int perFrame = pagesPerFrame(pageSizeBytes);
        return (normal + perFrame - 1) / perFrame;
    }

    /** Frame length {@code index} of a compressed packet of {@code pageCount} pages. */
    public PacketHeaderFlyweight frameLength(final int pageCount, final int index, final int length) {
        buffer.putInt(headerAndOffsetsLength(pageCount) + index * FRAME_LENGTH_LENGTH, length, Protocol.BYTE_ORDER);
        return this;
    }

    /** Frame length {@code index} of a compressed packet of {@code pageCount} pages, unsigned. */
    public long frameLength(final int pageCount, final int index) {
        return buffer.getInt(headerAndOffsetsLength(pageCount) + index * FRAME_LENGTH_LENGTH, Protocol.BYTE_ORDER) &
            0xFFFF_FFFFL;
    }

    public long pageOffset(final int index) {
        return buffer.getLong(HEADER_LENGTH + index * PAGE_OFFSET_LENGTH, Protocol.BYTE_ORDER);
    }

    /** Bytes of header and offset table for {@code pages} pages. */
    public static int headerAndOffsetsLength(final int pages) {
        return HEADER_LENGTH + pages * PAGE_OFFSET_LENGTH;
    }

    /** Bytes of header, offset table and frame-length table of a compressed packet. */
    public static int compressedPrefixLength(final int pages, final int frames) {
        return headerAndOffsetsLength(pages) + frames * FRAME_LENGTH_LENGTH;
    }
}
