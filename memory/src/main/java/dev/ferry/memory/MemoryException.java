package dev.ferry.memory;

/**
 * A guest-memory operation failed for a reason a user can act on: the message names the block, the value and,
 * where there is one, the limit.
 */
public final class MemoryException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public MemoryException(final String message) {
        super(message);
    }

    public MemoryException(final String message, final Throwable cause) {
        super(message, cause);
    }
}
