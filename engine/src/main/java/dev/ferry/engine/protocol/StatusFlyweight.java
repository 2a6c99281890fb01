package dev.ferry.engine.protocol;

import org.agrona.MutableDirectBuffer;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The STATUS body shared by SETUP-ACK, RESULT, ERROR and CANCEL: a code, a value and a reason in words.
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-------------------------------+-------------------------------+
 *  |            code               |          text length          |  0
 *  +-------------------------------+-------------------------------+
 *  |                           value                               |  4
 *  +---------------------------------------------------------------+
 *  |                       text, UTF-8                       ...   |  8
 *  +---------------------------------------------------------------+
 * </pre>
 * SETUP-ACK: code 0 accepted (value: the destination's verify mode), else an error code and why. RESULT: code
 * {@link #RESULT_VERIFIED}, {@link #RESULT_NOT_VERIFIED} or {@link #RESULT_MISMATCH} (value: chunks that differ).
 * ERROR and CANCEL: an error code and why. Text longer than {@link Protocol#MAX_TEXT_LENGTH} bytes is cut.
 */
public final class StatusFlyweight {
    public static final int CODE_OFFSET = 0;
    public static final int TEXT_LENGTH_OFFSET = 2;
    public static final int VALUE_OFFSET = 4;
    public static final int TEXT_OFFSET = 8;

    public static final int RESULT_VERIFIED = 0;
    public static final int RESULT_NOT_VERIFIED = 1;
    public static final int RESULT_MISMATCH = 2;

    private MutableDirectBuffer buffer;
    private int offset;
    private int length;

    /** Wraps a body of {@code length} bytes at {@code offset}; for encoding, {@code length} is the room. */
    public StatusFlyweight wrap(final MutableDirectBuffer buffer, final int offset, final int length) {
        this.buffer = buffer;
        this.offset = offset;
        this.length = length;
        return this;
    }

    /** Writes the body; returns its length. */
    public int encode(final int code, final long value, final String text) {
        byte[] bytes = (null == text ? "" : text).getBytes(StandardCharsets.UTF_8);
        if (bytes.length > Protocol.MAX_TEXT_LENGTH) {
            bytes = Arrays.copyOf(bytes, Protocol.MAX_TEXT_LENGTH);
        }
        buffer.putShort(offset + CODE_OFFSET, (short)code, Protocol.BYTE_ORDER);
        buffer.putShort(offset + TEXT_LENGTH_OFFSET, (short)bytes.length, Protocol.BYTE_ORDER);
        buffer.putInt(offset + VALUE_OFFSET, (int)value, Protocol.BYTE_ORDER);
        buffer.putBytes(offset + TEXT_OFFSET, bytes);
        return TEXT_OFFSET + bytes.length;
    }

    public int code() {
        requireFixedPart();
        return buffer.getShort(offset + CODE_OFFSET, Protocol.BYTE_ORDER) & 0xFFFF;
    }

    public long value() {
        requireFixedPart();
        return buffer.getInt(offset + VALUE_OFFSET, Protocol.BYTE_ORDER) & 0xFFFF_FFFFL;
    }

    /** The text, checked against the body's length. */
    public String text() {
        requireFixedPart();
        final int textLength = buffer.getShort(offset + TEXT_LENGTH_OFFSET, Protocol.BYTE_ORDER) & 0xFFFF;
        ProtocolException.check(textLength <= length - TEXT_OFFSET, "status text length", textLength,
            "<= " + (length - TEXT_OFFSET));
        final byte[] bytes = new byte[textLength];
        buffer.getBytes(offset + TEXT_OFFSET, bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    private void requireFixedPart() {
        ProtocolException.check(length >= TEXT_OFFSET, "status body length", length, ">= " + TEXT_OFFSET);
    }
}
