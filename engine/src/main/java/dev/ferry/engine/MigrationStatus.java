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
}
