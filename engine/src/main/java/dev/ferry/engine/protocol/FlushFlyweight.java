package dev.ferry.engine.protocol;

import org.agrona.MutableDirectBuffer;

/**
 * The FLUSH body (source to destination): every channel has written the SYNC of this round behind all of the
 * round's pages.
 * <pre>
 *  +---------------------------------------------------------------+
 *  |                           round                               |  0
 *  +---------------------------------------------------------------+
 * </pre>
 */
public final class FlushFlyweight {
    public static final int ROUND_OFFSET = 0;
    public static final int LENGTH = 4;

    private MutableDirectBuffer buffer;
    private int offset;

    /** Wraps a body at {@code offset}; decoding checks that it is exactly {@link #LENGTH} bytes. */
    public FlushFlyweight wrap(final MutableDirectBuffer buffer, final int offset, final int length) {
        ProtocolException.check(length == LENGTH, "FLUSH body length", length, Integer.toString(LENGTH));
        this.buffer = buffer;
        this.offset = offset;
        return this;
    }

    public FlushFlyweight round(final long round) {
        buffer.putInt(offset + ROUND_OFFSET, (int)round, Protocol.BYTE_ORDER);
        return this;
    }

    public long round() {
        return buffer.getInt(offset + ROUND_OFFSET, Protocol.BYTE_ORDER) & 0xFFFF_FFFFL;
    }
}
