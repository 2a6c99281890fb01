package dev.ferry.engine;

import dev.ferry.engine.text.Units;

import java.util.List;
import java.util.Locale;

/**
 * An immutable snapshot of one side of a migration. {@link #toJson()} is the {@code --stats-json} document; its
 * keys are a contract relied on from outside.
 *
 * @param role                   "source" or "destination".
 * @param status                 setup, active, device, verifying, completed, failed, cancelled or unknown.
 * @param totalTimeMs            source: first connect to RESULT; destination: SETUP to RESULT.
 * @param setupTimeMs            connect until every channel is up and SETUP-ACK is in.
 * @param transferTimeMs         source: setup done to APPLIED received; destination: SETUP-ACK sent to APPLIED sent
 *                               (-1 until known); setup + transfer + verify never exceed the total.
 * @param downtimeMs             writers paused until APPLIED received (-1 until known).
 * @param expectedDowntimeMs     what the dirty set and the measured bandwidth predict.
 * @param verifyTimeMs           APPLIED to RESULT (-1 until known or when not verified).
 * @param transferredBytes       every byte written by the source on every connection (destination: read).
 * @param remainingBytes         bytes still to send in this round, by the last count.
 * @param throughputBytesPerSec  transferred bytes over total time.
 * @param totalBytes             guest size.
 * @param normalPages            pages sent with their bytes.
 * @param zeroPages              pages sent as offsets only.
 * @param rounds                 dirty-bitmap syncs, round 0 included.
 * @param dirtyPagesPerSecond    pages dirtied per second over the last round.
 * @param throttlePercent        current auto-converge throttle.
 * @param channels               data channels.
 * @param channelBytes           bytes per data channel.
 * @param packetLatencyUs        p50, p99, max packet write (or apply) latency, microseconds.
 * @param barrierLatencyUs       p50, p99, max SYNC barrier latency, microseconds.
 * @param bitmapSyncUs           p50, p99, max dirty-bitmap harvest time, microseconds.
 * @param verified               digests of both sides' memory matched.
 * @param error                  why it failed, or null.
 * @param errorCode              the stable error code's name, or null.
 * @param convergence            what only the source knows about convergence; null on the destination.
 * @param rejectedConnections    destination: connections refused at the handshake (-1 on the source).
 * @param compression            the codec and what it achieved.
 * @param guest                  the guest's name, as the source gave it (null on a destination before SETUP).
 */
public record MigrationStats(
    String role,
    String status,
    long totalTimeMs,
    long setupTimeMs,
    long transferTimeMs,
    long downtimeMs,
    long expectedDowntimeMs,
    long verifyTimeMs,
    long transferredBytes,
    long remainingBytes,
    long throughputBytesPerSec,
    long totalBytes,
    long normalPages,
    long zeroPages,
    long rounds,
    long dirtyPagesPerSecond,
    long throttlePercent,
    int channels,
    List<Long> channelBytes,
    Percentiles packetLatencyUs,
    Percentiles barrierLatencyUs,
    Percentiles bitmapSyncUs,
    boolean verified,
    String error,
    String errorCode,
    ConvergenceStats convergence,
    long rejectedConnections,
    CompressionStats compression,
    String guest) {

    /** Four points of a latency distribution, microseconds. */
    public record Percentiles(long p50, long p99, long p999, long max) {
        public static final Percentiles NONE = new Percentiles(0, 0, 0, 0);

        String toReport() {
            return p50 + "/" + p99 + "/" + p999 + "/" + max;
        }

        String toJson() {
            return "{\"p50\": " + p50 + ", \"p99\": " + p99 + ", \"p99.9\": " + p999 + ", \"max\": " + max + "}";
        }
    }

    /** Whether this is the source's side: keys only the source can know are null on the destination. */
    public boolean isSource() {
        return null != convergence;
    }

    private Object sourceOnly(final Object value) {
        return isSource() ? value : "null";
    }

    /** The {@code --stats-json} document: one JSON object. */
    public String toJson() {
        final StringBuilder json = new StringBuilder(1024).append("{\n");
        field(json, "role", quote(role));
        field(json, "guest", null == guest ? "null" : quote(guest));
        field(json, "status", quote(status));
        field(json, "total-time-ms", totalTimeMs);
        field(json, "setup-time-ms", setupTimeMs);
        field(json, "transfer-time-ms", transferTimeMs);
        field(json, "downtime-ms", downtimeMs);
        field(json, "expected-downtime-ms", sourceOnly(expectedDowntimeMs));
        field(json, "verify-time-ms", verifyTimeMs);
        field(json, "transferred-bytes", transferredBytes);
        field(json, "remaining-bytes", sourceOnly(remainingBytes));
        field(json, "throughput-bytes-per-sec", throughputBytesPerSec);
        field(json, "total-bytes", totalBytes);
        field(json, "normal-pages", normalPages);
        field(json, "zero-pages", zeroPages);
        field(json, "rounds", rounds);
        field(json, "dirty-pages-rate", sourceOnly(dirtyPagesPerSecond));
        field(json, "throttle-percent", sourceOnly(throttlePercent));
        convergenceJson(json);
        field(json, "rejected-connections", isSource() ? "null" : rejectedConnections);
        field(json, "compression", quote(compression.codec()));
        field(json, "compression-ratio", compression.ratioJson());
        field(json, "compression-time-ms", compression.codecTimeMs());
        field(json, "channels", channels);
        field(json, "channel-bytes", channelBytes.toString());
        field(json, "packet-latency-us", packetLatencyUs.toJson());
        field(json, "sync-barrier-latency-us", barrierLatencyUs.toJson());
        field(json, "bitmap-sync-time-us", bitmapSyncUs.toJson());
        field(json, "verified", verified);
        if (null != error) {
            field(json, "error", quote(error));
            field(json, "error-code", quote(errorCode));
        }
        json.setLength(json.length() - 2);
        return json.append("\n}\n").toString();
    }

    private void convergenceJson(final StringBuilder json) {
        final ConvergenceStats c = convergence;
        field(json, "switchover-reason", null == c ? "null" : quote(c.switchoverReason()));
        field(json, "downtime-limit-ms", null == c ? "null" : c.downtimeLimitMs());
        field(json, "max-bandwidth-bytes-per-sec", null == c ? "null" : c.maxBandwidthBytesPerSec());
        field(json, "final-round-uncapped", null == c ? "null" : c.finalRoundUncapped());
        field(json, "workload-writes-per-sec", null == c ? "null" : c.workloadWritesPerSec());
        field(json, "round-history", null == c ? "null" : c.historyJson());
    }

    /** The human report printed at the end of a CLI run. */
    public String toReport() {
        final StringBuilder text = new StringBuilder();
        text.append(String.format(Locale.ROOT, "%s: %s%s%n", role, status,
            null != error ? " (" + error + ")" : verified ? ", verified" : ", not verified"));
        text.append(String.format(Locale.ROOT, "  total %s (setup %s, transfer %s, verify %s), downtime %s%n",
            ms(totalTimeMs), ms(setupTimeMs), ms(transferTimeMs), ms(verifyTimeMs), ms(downtimeMs)));
        text.append(String.format(Locale.ROOT,
            "  transferred %s of a %s guest in %d rounds over %d channels: %s/s%n",
            Units.bytes(transferredBytes), Units.bytes(totalBytes), rounds, channels,
            Units.bytes(throughputBytesPerSec)));
        text.append(String.format(Locale.ROOT, "  pages: %d normal, %d zero%s%n", normalPages, zeroPages,
            isSource() ? "; dirty rate " + dirtyPagesPerSecond + " pages/s" : ""));
        if (isSource()) {
            convergenceReport(text);
        }
        if (compression.payloadBytes() > 0) {
            text.append(String.format(Locale.ROOT, "  compression: %s, %s of pages in %s on the wire (ratio %s), %d ms%n",
                compression.codec(), Units.bytes(compression.pageBytes()), Units.bytes(compression.payloadBytes()),
                compression.ratioJson(), compression.codecTimeMs()));
        }
        text.append(String.format(Locale.ROOT,
            "  latency us (p50/p99/p99.9/max): packet %s, SYNC barrier %s, bitmap sync %s%n",
            packetLatencyUs.toReport(), barrierLatencyUs.toReport(), bitmapSyncUs.toReport()));
        return text.toString();
    }

    /** A duration in the report: "-" for one never measured (-1: the run ended before that phase). */
    private static String ms(final long value) {
        return value < 0 ? "-" : value + " ms";
    }

    private void convergenceReport(final StringBuilder text) {
        final ConvergenceStats c = convergence;
        text.append(String.format(Locale.ROOT, "  switchover: %s (limit %d ms, expected %s), throttle %d%%%s%n",
            null == c.switchoverReason() ? "none" : c.switchoverReason(), c.downtimeLimitMs(), ms(expectedDowntimeMs),
            throttlePercent, c.maxBandwidthBytesPerSec() == 0 ? "" : ", bandwidth cap " +
            Units.bytes(c.maxBandwidthBytesPerSec()) + "/s" + (c.finalRoundUncapped() ? " (final round uncapped)" : "")));
        if (null != c.workloadWritesPerSec()) {
            text.append(String.format(Locale.ROOT, "  workload: %d page writes/s before any throttle%n",
                c.workloadWritesPerSec()));
        }
    }

    private static void field(final StringBuilder json, final String key, final Object value) {
        json.append("  \"").append(key).append("\": ").append(value).append(",\n");
    }

    static String quote(final String text) {
        if (null == text) {
            return "null";
        }
        final StringBuilder quoted = new StringBuilder(text.length() + 2).append('"');
        for (int i = 0; i < text.length(); i++) {
            final char c = text.charAt(i);
            switch (c) {
                case '"':
                    quoted.append("\\\"");
                    break;
                case '\\':
                    quoted.append("\\\\");
                    break;
                case '\n':
                    quoted.append("\\n");
                    break;
                case '\r':
                    quoted.append("\\r");
                    break;
                case '\t':
                    quoted.append("\\t");
                    break;
                default:
                    if (c < 0x20) {
                        quoted.append(String.format(Locale.ROOT, "\\u%04x", (int)c));
                    } else {
                        quoted.append(c);
                    }
            }
        }
        return quoted.append('"').toString();
    }
}
