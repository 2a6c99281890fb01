package dev.ferry.engine.protocol;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * The frame header of every main-channel message, and the message types. Each body has a flyweight of its own:
 * {@link SetupFlyweight}, {@link StatusFlyweight} (SETUP-ACK, RESULT, ERROR, CANCEL), {@link FlushFlyweight},
 * {@link CompleteFlyweight}, {@link VerifyFlyweight}; APPLIED is empty and DEVICE-STATE is the embedder's bytes.
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                  body length (not counting these 8)           |  0
 *  +-------------------------------+-------------------------------+
 *  |             type              |           reserved            |  4
 *  +-------------------------------+-------------------------------+
 * </pre>
 */
public final class MessageFlyweight {
    public static final int LENGTH_OFFSET = 0;
    public static final int TYPE_OFFSET = 4;
    public static final int RESERVED_OFFSET = 6;
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

    private MutableDirectBuffer buffer;
    private int offset;

    public MessageFlyweight wrap(final MutableDirectBuffer buffer, final int offset) {
        this.buffer = buffer;
        this.offset = offset;
        return this;
    }

    /** Writes the frame header (the reserved field as 0). */
    public MessageFlyweight header(final int type, final int bodyLength) {
        buffer.putInt(offset + LENGTH_OFFSET, bodyLength, Protocol.BYTE_ORDER);
        buffer.putShort(offset + TYPE_OFFSET, (short)type, Protocol.BYTE_ORDER);
        buffer.putShort(offset + RESERVED_OFFSET, (short)0, Protocol.BYTE_ORDER);
        return this;
    }

    /** The body length, unsigned. */
    public long bodyLength() {
        return bodyLength(buffer, offset);
    }

    public int type() {
        return type(buffer, offset);
    }

    public static long bodyLength(final DirectBuffer buffer, final int offset) {
        return buffer.getInt(offset + LENGTH_OFFSET, Protocol.BYTE_ORDER) & 0xFFFF_FFFFL;
    }

    /**
     * The frame at {@code offset} checked before any body byte is read: a known type and a body of at most
     * {@link Protocol#MAX_MESSAGE_BODY_LENGTH}; returns the body's length.
     *
     * @throws ProtocolException naming the field otherwise.
     */
    public static int checkedBodyLength(final DirectBuffer buffer, final int offset) {
        final int type = type(buffer, offset);
        ProtocolException.check(type >= SETUP && type <= CANCEL, "main-channel message type", type,
            SETUP + ".." + CANCEL);
        final long length = bodyLength(buffer, offset);
        ProtocolException.check(length <= Protocol.MAX_MESSAGE_BODY_LENGTH, "main-channel message length", length,
            "<= " + Protocol.MAX_MESSAGE_BODY_LENGTH);
        return (int)length;
    }

    public static int type(final DirectBuffer buffer, final int offset) {
        return buffer.getShort(offset + TYPE_OFFSET, Protocol.BYTE_ORDER) & 0xFFFF;
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
}
