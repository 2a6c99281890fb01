package dev.ferry.engine.stats;

/**
 * Every counter a migration publishes, with a stable type id and a label that is the name of its key in the
 * {@code --stats-json} document (per-channel counters add {@code [channel]}). {@code ferry stat} prints these labels;
 * ids are never renumbered.
 */
public enum CounterDescriptor {
    /** {@code MigrationStatus} ordinal: 0 setup, 1 active, 2 device, 3 verifying, 4 completed, 5 failed, 6 cancelled,
     * 7 unknown. */
    STATUS(1, "status"),
    TOTAL_TIME_MS(2, "total-time-ms"),
    SETUP_TIME_MS(3, "setup-time-ms"),
    DOWNTIME_MS(4, "downtime-ms"),
    EXPECTED_DOWNTIME_MS(5, "expected-downtime-ms"),
    VERIFY_TIME_MS(6, "verify-time-ms"),
    TRANSFERRED_BYTES(7, "transferred-bytes"),
    REMAINING_BYTES(8, "remaining-bytes"),
    TOTAL_BYTES(9, "total-bytes"),
    NORMAL_PAGES(10, "normal-pages"),
    ZERO_PAGES(11, "zero-pages"),
    ROUNDS(12, "rounds"),
    DIRTY_PAGES_RATE(13, "dirty-pages-rate"),
    THROTTLE_PERCENT(14, "throttle-percent"),
    CHANNELS(15, "channels"),
    /** Bytes on the main channel (written by the source, read by the destination). */
    MAIN_CHANNEL_BYTES(16, "main-channel-bytes"),
    /** Per data channel: bytes written (source) or read (destination). */
    CHANNEL_BYTES(17, "channel-bytes"),
    /** Per data channel: pages sent with their bytes. */
    CHANNEL_NORMAL_PAGES(18, "channel-normal-pages"),
    /** Per data channel: pages sent as offsets only. */
    CHANNEL_ZERO_PAGES(19, "channel-zero-pages"),
    /** Connections refused at the handshake (destination). */
    REJECTED_CONNECTIONS(20, "rejected-connections"),
    /** Source: setup done (SETUP-ACK in, channels up) to APPLIED in; destination: SETUP-ACK sent to APPLIED sent. */
    TRANSFER_TIME_MS(21, "transfer-time-ms"),
    /** Source: the bandwidth cap across all data channels, bytes per second; 0 when unlimited. */
    MAX_BANDWIDTH_BYTES_PER_SEC(22, "max-bandwidth-bytes-per-sec"),
    /** Source: the downtime limit in force. */
    DOWNTIME_LIMIT_MS(23, "downtime-limit-ms"),
    /** Per data channel: bytes of the normal pages moved, before compression. */
    CHANNEL_PAGE_BYTES(24, "channel-page-bytes"),
    /** Per data channel: bytes of those pages on the wire, after compression. */
    CHANNEL_PAYLOAD_BYTES(25, "channel-payload-bytes"),
    /** Per data channel: CPU nanoseconds spent compressing (source) or decompressing (destination). */
    CHANNEL_CODEC_NANOS(26, "channel-codec-nanos");

    private final int typeId;
    private final String label;

    CounterDescriptor(final int typeId, final String label) {
        this.typeId = typeId;
        this.label = label;
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
