package dev.ferry.engine.stats;

/**
 * Every counter a migration publishes, with a stable type id and a label that is the name of its key in the
 * {@code --stats-json} document (per-channel counters add {@code [channel]}). {@code ferry stat} prints these labels;
 * ids are never renumbered.
 */
public enum CounterDescriptor {
    /** {@code MigrationStatus} ordinal: 0 setup, 1 active, 2 device, 3 verifying, 4 completed, 5 failed, 6 cancelled,
     * 7 unknown. */
    STATUS(1, "status", Scope.EVERY_SIDE),
    TOTAL_TIME_MS(2, "total-time-ms", Scope.EVERY_SIDE),
    SETUP_TIME_MS(3, "setup-time-ms", Scope.EVERY_SIDE),
    DOWNTIME_MS(4, "downtime-ms", Scope.EVERY_SIDE),
    EXPECTED_DOWNTIME_MS(5, "expected-downtime-ms", Scope.EVERY_SIDE),
    VERIFY_TIME_MS(6, "verify-time-ms", Scope.EVERY_SIDE),
    TRANSFERRED_BYTES(7, "transferred-bytes", Scope.EVERY_SIDE),
    REMAINING_BYTES(8, "remaining-bytes", Scope.EVERY_SIDE),
    TOTAL_BYTES(9, "total-bytes", Scope.EVERY_SIDE),
    NORMAL_PAGES(10, "normal-pages", Scope.EVERY_SIDE),
    ZERO_PAGES(11, "zero-pages", Scope.EVERY_SIDE),
    ROUNDS(12, "rounds", Scope.EVERY_SIDE),
    DIRTY_PAGES_RATE(13, "dirty-pages-rate", Scope.EVERY_SIDE),
    THROTTLE_PERCENT(14, "throttle-percent", Scope.EVERY_SIDE),
    CHANNELS(15, "channels", Scope.EVERY_SIDE),
    /** Bytes on the main channel (written by the source, read by the destination). */
    MAIN_CHANNEL_BYTES(16, "main-channel-bytes", Scope.EVERY_SIDE),
    /** Per data channel: bytes written (source) or read (destination). */
    CHANNEL_BYTES(17, "channel-bytes", Scope.PER_CHANNEL),
    /** Per data channel: pages sent with their bytes. */
    CHANNEL_NORMAL_PAGES(18, "channel-normal-pages", Scope.PER_CHANNEL),
    /** Per data channel: pages sent as offsets only. */
    CHANNEL_ZERO_PAGES(19, "channel-zero-pages", Scope.PER_CHANNEL),
    /** Connections refused at the handshake (destination). */
    REJECTED_CONNECTIONS(20, "rejected-connections", Scope.DESTINATION),
    /** Source: setup done (SETUP-ACK in, channels up) to APPLIED in; destination: SETUP-ACK sent to APPLIED sent. */
    TRANSFER_TIME_MS(21, "transfer-time-ms", Scope.EVERY_SIDE),
    /** Source: the bandwidth cap across all data channels, bytes per second; 0 when unlimited. */
    MAX_BANDWIDTH_BYTES_PER_SEC(22, "max-bandwidth-bytes-per-sec", Scope.SOURCE),
    /** Source: the downtime limit in force. */
    DOWNTIME_LIMIT_MS(23, "downtime-limit-ms", Scope.SOURCE),
    /** Per data channel: bytes of the normal pages moved, before compression. */
    CHANNEL_PAGE_BYTES(24, "channel-page-bytes", Scope.PER_CHANNEL),
    /** Per data channel: bytes of those pages on the wire, after compression. */
    CHANNEL_PAYLOAD_BYTES(25, "channel-payload-bytes", Scope.PER_CHANNEL),
    /** Per data channel: CPU nanoseconds spent compressing (source) or decompressing (destination). */
    CHANNEL_CODEC_NANOS(26, "channel-codec-nanos", Scope.PER_CHANNEL),
    /** A migration runtime: incoming migrations running now. */
    RUNTIME_RUNNING_IN(27, "migrations-running-in", Scope.RUNTIME),
    /** A migration runtime: outgoing migrations running now. */
    RUNTIME_RUNNING_OUT(28, "migrations-running-out", Scope.RUNTIME),
    /** A migration runtime: incoming connections refused at its door (busy sources included). */
    RUNTIME_REFUSED_IN(29, "refused-in", Scope.RUNTIME),
    /** A migration runtime: outgoing migrations refused for want of a place. */
    RUNTIME_REFUSED_OUT(30, "refused-out", Scope.RUNTIME),
    /** A migration runtime: bytes received by its incoming migrations, ended and running. */
    RUNTIME_BYTES_IN(31, "bytes-in", Scope.RUNTIME),
    /** A migration runtime: bytes sent by its outgoing migrations, ended and running. */
    RUNTIME_BYTES_OUT(32, "bytes-out", Scope.RUNTIME);

    /** Who has the counter: every side (made with the counters), one per data channel, or one side only. */
    public enum Scope {
        EVERY_SIDE, PER_CHANNEL, SOURCE, DESTINATION, RUNTIME
    }

    private final int typeId;
    private final String label;
    private final Scope scope;

    CounterDescriptor(final int typeId, final String label, final Scope scope) {
        this.typeId = typeId;
        this.label = label;
        this.scope = scope;
    }

    public Scope scope() {
        return scope;
    }

    /** How many descriptors have {@code scope}. */
    public static int count(final Scope scope) {
        int count = 0;
        for (final CounterDescriptor descriptor : values()) {
            count += descriptor.scope == scope ? 1 : 0;
        }
        return count;
    }

    public int typeId() {
        return typeId;
    }

    public String label() {
        return label;
    }

    /** The label of this counter for data channel {@code channel}. */
    public String label(final int channel) {
        return label + "[" + channel + "]";
    }
}
