package dev.ferry.engine.protocol;

import org.agrona.MutableDirectBuffer;

/**
 * The COMPLETE body (source to destination): the last round has been flushed; the page counts let the destination
 * check that it received exactly what was sent.
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                        final round                            |  0
 *  +---------------------------------------------------------------+
 *  |                        reserved (0)                           |  4
 *  +---------------------------------------------------------------+
 *  |                  normal pages sent (8 bytes)                  |  8
 *  +---------------------------------------------------------------+
 *  |                   zero pages sent (8 bytes)                   | 16
 *  +---------------------------------------------------------------+
 * </pre>
 */
public final class CompleteFlyweight {
    public static final int ROUND_OFFSET = 0;
    public static final int RESERVED_OFFSET = 4;
    public static final int NORMAL_PAGES_OFFSET = 8;
    public static final int ZERO_PAGES_OFFSET = 16;
    public static final int LENGTH = 24;

    private MutableDirectBuffer buffer;
    private int offset;

    /** Wraps a body at {@code offset}; decoding checks that it is exactly {@link #LENGTH} bytes. */
    public CompleteFlyweight wrap(final MutableDirectBuffer buffer, final int offset, final int length) {
        ProtocolException.check(length == LENGTH, "COMPLETE body length", length, Integer.toString(LENGTH));
        this.buffer = buffer;
        this.offset = offset;
        return this;
    }

    /** Writes every field (the reserved one as 0). */
    public CompleteFlyweight encode(final long round, final long normalPages, final long zeroPages) {
        buffer.putInt(offset + ROUND_OFFSET, (int)round, Protocol.BYTE_ORDER);
        buffer.putInt(offset + RESERVED_OFFSET, 0, Protocol.BYTE_ORDER);
        buffer.putLong(offset + NORMAL_PAGES_OFFSET, normalPages, Protocol.BYTE_ORDER);
        buffer.putLong(offset + ZERO_PAGES_OFFSET, zeroPages, Protocol.BYTE_ORDER);
        return this;
    }

    public long round() {
        return buffer.getInt(offset + ROUND_OFFSET, Protocol.BYTE_ORDER) & 0xFFFF_FFFFL;
    }

    public long normalPages() {
        return buffer.getLong(offset + NORMAL_PAGES_OFFSET, Protocol.BYTE_ORDER);
    }

    public long zeroPages() {
        return buffer.getLong(offset + ZERO_PAGES_OFFSET, Protocol.BYTE_ORDER);
    }
}
