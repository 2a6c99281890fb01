package dev.ferry.engine;


import java.util.Locale;

/**
 * How the source compresses normal pages on the data channels. Chosen by the source alone and announced in SETUP;
 * the destination needs no setting. Zero pages stay offsets only whatever the choice, and a page that does not
 * shrink travels raw.
 */
public enum Compression {
    /** Pages travel as they are, straight from the mapping (zero copy). */
    NONE(0, 0, 0, 0),
    /** Zstandard (zstd-jni), level 1 by default (as QEMU's multifd); -7..-1 are zstd's faster modes. */
    ZSTD(1, 1, -7, 19),
    /** zlib (RFC 1950, {@code java.util.zip}), level 1 by default. */
    ZLIB(2, 1, 1, 9);

    private final int wireId;
    private final int defaultLevel;
    private final int minLevel;
    private final int maxLevel;

    Compression(final int wireId, final int defaultLevel, final int minLevel, final int maxLevel) {
        this.wireId = wireId;
        this.defaultLevel = defaultLevel;
        this.minLevel = minLevel;
        this.maxLevel = maxLevel;
    }

    /** The level used when none is given. */
    public int defaultLevel() {
        return defaultLevel;
    }

    /** Whether {@code level} is one this codec takes. */
    public boolean acceptsLevel(final int level) {
        return level >= minLevel && level <= maxLevel;
    }

    /** The levels this codec takes, for messages. */
    public String levels() {
        return minLevel + ".." + maxLevel;
    }

    /** The number that travels in SETUP. */
    public int wireId() {
        return wireId;
    }

    /** The codec of wire id {@code id}, or null for an id this build does not know. */
    public static Compression fromWireId(final int id) {
        for (final Compression compression : values()) {
            if (compression.wireId == id) {
                return compression;
            }
        }
        return null;
    }

    /** The lower-case name used by the CLI and the JSON. */
    public String cliName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses {@code none}, {@code zstd} or {@code zlib}. */
    public static Compression parse(final String text) {
        for (final Compression compression : values()) {
            if (compression.cliName().equals(text.toLowerCase(Locale.ROOT))) {
                return compression;
            }
        }
        throw new FerryException(ErrorCode.CONFIGURATION, "compression '" + text + "' must be none, zstd or zlib");
    }
}
