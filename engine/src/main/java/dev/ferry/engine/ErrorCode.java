package dev.ferry.engine;

/**
 * Stable error codes: the number travels in ERROR and CANCEL messages and lands in the stats JSON, so codes are
 * never renumbered. Each belongs to a category that says whose move it is.
 */
public enum ErrorCode {
    NONE(0, "none"),
    CONFIGURATION(1, "configuration"),
    CONNECT_FAILED(2, "network"),
    HANDSHAKE_FAILED(3, "peer"),
    AUTHENTICATION_FAILED(4, "peer"),
    VERSION_MISMATCH(5, "peer"),
    SETUP_REFUSED(6, "peer"),
    PROTOCOL_VIOLATION(7, "peer"),
    CHANNEL_FAILED(8, "network"),
    BARRIER_TIMEOUT(9, "network"),
    CANCELLED(10, "operator"),
    REMOTE_ERROR(11, "peer"),
    VERIFICATION_FAILED(12, "data"),
    MEMORY(13, "resources"),
    TIMEOUT(14, "network"),
    CONTACT_LOST(15, "network"),
    INTERNAL(16, "bug"),
    /** The source's {@code --timeout} passed before the migration converged and switched over. */
    NOT_CONVERGED(17, "workload"),
    /** A TLS handshake failed: a certificate not trusted, expired or refused, or a peer without TLS. */
    TLS_FAILED(18, "peer"),
    /** The destination refused a new migration: at its limit of migrations at once, or draining; try again later. */
    DESTINATION_BUSY(19, "peer"),
    /** A migration runtime refused an outgoing migration: at its limit at once, none ended in time, or closed. */
    RUNTIME_BUSY(20, "resources");

    private static final ErrorCode[] BY_ID = new ErrorCode[32];

    static {
        for (final ErrorCode code : values()) {
            BY_ID[code.id] = code;
        }
    }

    private final int id;
    private final String category;

    ErrorCode(final int id, final String category) {
        this.id = id;
        this.category = category;
    }

    public int id() {
        return id;
    }

    public String category() {
        return category;
    }

    /** The code with {@code id}, or {@link #REMOTE_ERROR} for an id this build does not know. */
    public static ErrorCode of(final int id) {
        return id >= 0 && id < BY_ID.length && null != BY_ID[id] ? BY_ID[id] : REMOTE_ERROR;
    }
}
