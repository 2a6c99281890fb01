package dev.ferry.engine.daemon;

import dev.ferry.engine.ErrorCode;

/**
 * A request the control API answers with an error: its HTTP status, Ferry's stable error code, the request field
 * that was wrong (or null) and a message that names what was wrong and what was expected.
 */
public final class ApiException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int status;
    private final ErrorCode code;
    private final String field;
    private String allow;

    ApiException(final int status, final ErrorCode code, final String field, final String message) {
        super(message);
        this.status = status;
        this.code = code;
        this.field = field;
    }

    /** A 400 naming {@code field}: "field: message". */
    static ApiException badField(final String field, final String message) {
        return new ApiException(400, ErrorCode.CONFIGURATION, field, field + ": " + message);
    }

    static ApiException notFound(final String message) {
        return new ApiException(404, ErrorCode.CONFIGURATION, null, message);
    }

    static ApiException conflict(final String message) {
        return new ApiException(409, ErrorCode.CONFIGURATION, null, message);
    }

    /** A 405's methods, for its Allow header. */
    ApiException allow(final String methods) {
        this.allow = methods;
        return this;
    }

    String allow() {
        return allow;
    }

    public int status() {
        return status;
    }

    public ErrorCode code() {
        return code;
    }

    public String field() {
        return field;
    }
}
