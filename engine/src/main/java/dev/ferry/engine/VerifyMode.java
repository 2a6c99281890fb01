package dev.ferry.engine;


import java.util.Locale;

/** Whether the migration ends with a digest of both sides' actual memory. Both sides must agree. */
public enum VerifyMode {
    /** CRC32C per 1 MiB chunk of the paused source and of the destination, compared after APPLIED. */
    FULL,
    /** No verification: the result says {@code verified: false}. */
    NONE;

    /** Parses {@code full} or {@code none}. */
    public static VerifyMode parse(final String text) {
        switch (text.toLowerCase(Locale.ROOT)) {
            case "full":
                return FULL;
            case "none":
                return NONE;
            default:
                throw new FerryException(ErrorCode.CONFIGURATION, "verify mode '" + text + "' must be full or none");
        }
    }
}
