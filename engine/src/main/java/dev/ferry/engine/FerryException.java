package dev.ferry.engine;

/** A migration or configuration failure with a stable {@link ErrorCode} and a message that names what was wrong. */
public class FerryException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final ErrorCode code;

    public FerryException(final ErrorCode code, final String message) {
        super(message);
        this.code = code;
    }

    public FerryException(final ErrorCode code, final String message, final Throwable cause) {
        super(message, cause);
        this.code = code;
    }

    public ErrorCode code() {
        return code;
    }
}
