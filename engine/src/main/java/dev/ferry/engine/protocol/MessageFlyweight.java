package dev.ferry.engine.protocol;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import java.nio.charset.StandardCharsets;

/**
 * Main-channel messages: a frame header, then a body whose layout depends on the type.
 * <pre>
 * Frame header, 8 bytes
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                  body length (not counting these 8)           |  0
 *  +-------------------------------+-------------------------------+
 *  |             type              |           reserved            |  4
 *  +-------------------------------+-------------------------------+
 *
 * SETUP body (source to destination)
 *  +---------------------------------------------------------------+
 *  |                        page size                              |  0
 *  +-------------------------------+-------------------------------+
 *  |        channel count          |         block count           |  4
 *  +---------------+---------------+-------------------------------+
 *  |  verify mode  |           reserved (3 bytes)                  |  8
 *  +---------------+-----------------------------------------------+
 *  then per block:
 *  +-------------------------------+-------------------------------+
 *  |           block id            |     name length (bytes)       |
 *  +-------------------------------+-------------------------------+
 *  |                      block length (8 bytes)                   |
 *  +---------------------------------------------------------------+
 *  |                      name, UTF-8                        ...   |
 *  +---------------------------------------------------------------+
 *
 * STATUS body: SETUP_ACK, RESULT, ERROR, CANCEL
 *  +-------------------------------+-------------------------------+
 *  |            code               |          text length          |  0
 *  +-------------------------------+-------------------------------+
 *  |                           value                               |  4
 *  +---------------------------------------------------------------+
 *  |                       text, UTF-8                       ...   |  8
 *  +---------------------------------------------------------------+
 *
 * FLUSH body:    | round (4) |
 * COMPLETE body: | final round (4) | reserved (4) | normal pages (8) | zero pages (8) |
 * APPLIED body:  empty
 * DEVICE_STATE:  the embedder's opaque bytes
 * VERIFY body (source to destination, after APPLIED)
 *  +---------------------------------------------------------------+
 *  |                     downtime in ms (8 bytes)                  |  0
 *  +---------------------------------------------------------------+
 *  |                        chunk size                             |  8
 *  +-------------------------------+-------------------------------+
 *  |  block count (0: not verified)|          reserved             | 12
 *  +-------------------------------+-------------------------------+
 *  then per block: | chunk count (4) | CRC32C per chunk (4 each) ... |
 * </pre>
 * SETUP_ACK: code 0 accepted (value: the destination's verify mode), else an {@code ErrorCode} and text.
 * RESULT: code {@link #RESULT_VERIFIED}, {@link #RESULT_NOT_VERIFIED} or {@link #RESULT_MISMATCH} (value: chunks
 * that differ). ERROR and CANCEL: an {@code ErrorCode} and text.
 */
public final class MessageFlyweight {
    public static final int LENGTH_OFFSET = 0;
    public static final int TYPE_OFFSET = 4;
    public static final int FRAME_HEADER_LENGTH = 8;

    public static final int SETUP = 1;
    public static final int SETUP_ACK = 2;
    public static final int FLUSH = 3;
    public static final int DEVICE_STATE = 4;
    public static final int COMPLETE = 5;
    public static final int APPLIED = 6;
    public static final int VERIFY = 7;
    public static final int RESULT = 8;
    public static final int ERROR = 9;
    public static final int CANCEL = 10;

    public static final int SETUP_PAGE_SIZE_OFFSET = 0;
    public static final int SETUP_CHANNEL_COUNT_OFFSET = 4;
    public static final int SETUP_BLOCK_COUNT_OFFSET = 6;
    public static final int SETUP_VERIFY_OFFSET = 8;
    public static final int SETUP_BLOCKS_OFFSET = 12;
    public static final int BLOCK_ID_OFFSET = 0;
    public static final int BLOCK_NAME_LENGTH_OFFSET = 2;
    public static final int BLOCK_LENGTH_OFFSET = 4;
    public static final int BLOCK_NAME_OFFSET = 12;

    public static final int STATUS_CODE_OFFSET = 0;
    public static final int STATUS_TEXT_LENGTH_OFFSET = 2;
    public static final int STATUS_VALUE_OFFSET = 4;
    public static final int STATUS_TEXT_OFFSET = 8;

    public static final int FLUSH_ROUND_OFFSET = 0;
    public static final int FLUSH_LENGTH = 4;

    public static final int COMPLETE_ROUND_OFFSET = 0;
    public static final int COMPLETE_NORMAL_PAGES_OFFSET = 8;
    public static final int COMPLETE_ZERO_PAGES_OFFSET = 16;
    public static final int COMPLETE_LENGTH = 24;

    public static final int VERIFY_DOWNTIME_OFFSET = 0;
    public static final int VERIFY_CHUNK_SIZE_OFFSET = 8;
    public static final int VERIFY_BLOCK_COUNT_OFFSET = 12;
    public static final int VERIFY_BLOCKS_OFFSET = 16;

    public static final int RESULT_VERIFIED = 0;
    public static final int RESULT_NOT_VERIFIED = 1;
    public static final int RESULT_MISMATCH = 2;

    private MessageFlyweight() {
    }

    public static String typeName(final int type) {
        switch (type) {
            case SETUP:
                return "SETUP";
            case SETUP_ACK:
                return "SETUP-ACK";
            case FLUSH:
                return "FLUSH";
            case DEVICE_STATE:
                return "DEVICE-STATE";
            case COMPLETE:
                return "COMPLETE";
            case APPLIED:
                return "APPLIED";
            case VERIFY:
                return "VERIFY";
            case RESULT:
                return "RESULT";
            case ERROR:
                return "ERROR";
            case CANCEL:
                return "CANCEL";
            default:
                return "unknown type " + type;
        }
    }

    /** Writes a STATUS body at {@code offset}; returns its length. Text longer than the limit is cut. */
    public static int encodeStatus(
        final MutableDirectBuffer buffer, final int offset, final int code, final long value, final String text) {
        byte[] bytes = (null == text ? "" : text).getBytes(StandardCharsets.UTF_8);
        if (bytes.length > Protocol.MAX_TEXT_LENGTH) {
            bytes = java.util.Arrays.copyOf(bytes, Protocol.MAX_TEXT_LENGTH);
        }
        buffer.putShort(offset + STATUS_CODE_OFFSET, (short)code, Protocol.BYTE_ORDER);
        buffer.putShort(offset + STATUS_TEXT_LENGTH_OFFSET, (short)bytes.length, Protocol.BYTE_ORDER);
        buffer.putInt(offset + STATUS_VALUE_OFFSET, (int)value, Protocol.BYTE_ORDER);
        buffer.putBytes(offset + STATUS_TEXT_OFFSET, bytes);
        return STATUS_TEXT_OFFSET + bytes.length;
    }

    public static int statusCode(final DirectBuffer buffer, final int offset) {
        return buffer.getShort(offset + STATUS_CODE_OFFSET, Protocol.BYTE_ORDER) & 0xFFFF;
    }

    public static long statusValue(final DirectBuffer buffer, final int offset) {
        return buffer.getInt(offset + STATUS_VALUE_OFFSET, Protocol.BYTE_ORDER) & 0xFFFF_FFFFL;
    }

    /** The text of a STATUS body of {@code bodyLength} bytes, checked against that length. */
    public static String statusText(final DirectBuffer buffer, final int offset, final int bodyLength) {
        ProtocolException.check(bodyLength >= STATUS_TEXT_OFFSET, "status body length", bodyLength,
            ">= " + STATUS_TEXT_OFFSET);
        final int length = buffer.getShort(offset + STATUS_TEXT_LENGTH_OFFSET, Protocol.BYTE_ORDER) & 0xFFFF;
        ProtocolException.check(length <= bodyLength - STATUS_TEXT_OFFSET, "status text length", length,
            "<= " + (bodyLength - STATUS_TEXT_OFFSET));
        final byte[] bytes = new byte[length];
        buffer.getBytes(offset + STATUS_TEXT_OFFSET, bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
