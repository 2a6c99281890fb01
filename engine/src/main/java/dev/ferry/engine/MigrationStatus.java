package dev.ferry.engine;

/** Where a migration is, as reported in stats ({@link #jsonName()} is the contract string). */
public enum MigrationStatus {
    SETUP("setup"),
    ACTIVE("active"),
    DEVICE("device"),
    VERIFYING("verifying"),
    COMPLETED("completed"),
    FAILED("failed"),
    CANCELLED("cancelled"),
    /** Contact was lost after APPLIED and before RESULT: the guest may be running on the destination. */
    UNKNOWN("unknown");

    private final String jsonName;

    MigrationStatus(final String jsonName) {
        this.jsonName = jsonName;
    }

    public String jsonName() {
        return jsonName;
    }

    /** Whether the migration has ended in this status: completed, failed, cancelled or unknown. */
    public boolean isEnded() {
        return ordinal() >= COMPLETED.ordinal();
    }

    /** The status whose {@link #jsonName()} is {@code name}, or null if none is. */
    public static MigrationStatus ofJsonName(final String name) {
        for (final MigrationStatus status : values()) {
            if (status.jsonName.equals(name)) {
                return status;
            }
        }
        return null;
    }

    /** Whether {@code name} is the {@link #jsonName()} of a status in which a migration has ended. */
    public static boolean isEndedJsonName(final String name) {
        final MigrationStatus status = ofJsonName(name);
        return null != status && status.isEnded();
    }
}
