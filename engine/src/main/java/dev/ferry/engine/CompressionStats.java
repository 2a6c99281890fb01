package dev.ferry.engine;

import java.util.Locale;

/**
 * What compression did, on either side.
 *
 * @param codec        none, zstd or zlib.
 * @param pageBytes    bytes of the normal pages moved, before compression (0 when the codec is none).
 * @param payloadBytes bytes of those pages on the wire.
 * @param codecTimeMs  CPU time the channel threads spent compressing (source) or decompressing (destination).
 */
public record CompressionStats(String codec, long pageBytes, long payloadBytes, long codecTimeMs) {
    /** Page bytes over wire bytes, or null when nothing was compressed. */
    public String ratioJson() {
        return payloadBytes == 0 ? "null" : String.format(Locale.ROOT, "%.3f", (double)pageBytes / payloadBytes);
    }
}
