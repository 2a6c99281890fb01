package dev.ferry.engine.api;

import dev.ferry.engine.error.ErrorCode;
import dev.ferry.engine.error.FerryException;

import java.util.Locale;

/**
 * How the source compresses normal pages on the data channels. Chosen by the source alone and announced in SETUP;
 * the destination needs no setting. Zero pages stay offsets only whatever the choice, and a page that does not
 * shrink travels raw.
 */
public enum Compression {
    /** Pages travel as they are, straight from the mapping (zero copy). */
    NONE(0),
    /** Zstandard, level 1, one frame per page (zstd-jni). */
    ZSTD(1),
    /** zlib (RFC 1950), level 1, one stream per page ({@code java.util.zip}). */
    ZLIB(2);

    private final int wireId;

    Compression(final int wireId) {
        this.wireId = wireId;
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
