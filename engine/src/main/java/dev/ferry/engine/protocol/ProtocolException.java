package dev.ferry.engine.protocol;

/** Bytes from the wire broke the protocol; the message names the field, the value and what was expected. */
public final class ProtocolException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ProtocolException(final String message) {
        super(message);
    }

    /** Fails unless {@code condition}, naming field and value. */
    public static void check(final boolean condition, final String field, final long value, final String expected) {
        if (!condition) {
            throw new ProtocolException("invalid " + field + " " + value + ": expected " + expected);
        }
    }
}
