package dev.ferry.engine.stats;

import dev.ferry.engine.CompressionStats;
import dev.ferry.engine.ConvergenceStats;
import dev.ferry.engine.MigrationStats;
import dev.ferry.engine.RoundRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(10)
final class MigrationStatsTest {
    private static MigrationStats stats(final String role, final String error) {
        final MigrationStats.Percentiles p = new MigrationStats.Percentiles(1, 2, 3, 4);
        return new MigrationStats(role, "failed", 1500, 20, 1200, 7, 5, 30, 3L << 30, 1L << 20, 2L << 30, 4L << 30, 100, 50,
            3, 1000, 0, 2, List.of(10L, 20L), p, p, p, false, error, null == error ? null : "CHANNEL_FAILED",
            "source".equals(role) ? new ConvergenceStats("downtime-limit", 300, 0, false, null, 1L << 20,
                List.of(new RoundRecord(0, 900, 2L << 30, 524_288, 40, 0), new RoundRecord(1, 20, 1L << 20, 256, 1, 50)))
                : null, "source".equals(role) ? -1 : 3, new CompressionStats("zstd", 3_000_000, 1_000_000, 42), "vm-1");
    }

    @Test
    void jsonHasTheContractKeysAndEscapesText() {
        final String json = stats("source", "bad \"quote\"\\ and\nnewline\u0001").toJson();
        for (final String key : new String[] {"status", "total-time-ms", "setup-time-ms", "transfer-time-ms", "downtime-ms",
            "verify-time-ms", "transferred-bytes", "throughput-bytes-per-sec", "normal-pages", "zero-pages", "rounds",
            "channels", "verified", "error"}) {
            assertTrue(json.contains("\"" + key + "\": "), key + " missing: " + json);
        }
        assertTrue(json.contains("\"error\": \"bad \\\"quote\\\"\\\\ and\\nnewline\\u0001\""), json);
        assertTrue(json.contains("\"channel-bytes\": [10, 20]"), json);
        assertTrue(json.contains("\"compression\": \"zstd\",\n  \"compression-ratio\": 3.000,\n  " +
            "\"compression-time-ms\": 42"), json);
        assertTrue(json.contains("\"packet-latency-us\": {\"p50\": 1, \"p99\": 2, \"p99.9\": 3, \"max\": 4}"), json);
        assertTrue(json.trim().startsWith("{") && json.trim().endsWith("}"));
        assertFalse(json.contains(",\n}"), "no trailing comma: " + json);
    }

    @Test
    void noErrorKeysWhenThereIsNoError() {
        final String json = stats("source", null).toJson();
        assertFalse(json.contains("\"error\""), json);
    }

    @Test
    void progressLinesSaySourceAndDestinationApartAndNeverRunBackwards() {
        final ProgressLine line = new ProgressLine(() -> null, null, false);
        assertEquals("[failed   ] round 2   0%  guest   0% of 4.0 GiB  2.0 GiB/s  dirty 1000 pages/s  "
            + "expected downtime 5 ms  throttle 0%", line.next(stats("source", null), 1));
        assertEquals("[failed   ] round 3  received 3.0 GiB (guest 4.0 GiB)  2.0 GiB/s",
            new ProgressLine(() -> null, null, false).next(stats("destination", null), 1));
        final MigrationStats earlier = new MigrationStats("source", "active", 1000, 20, -1, -1, 5, -1, 1L << 30,
            1L << 20, 1L << 30, 4L << 30, 100, 50, 1, 1000, 0, 2, List.of(), MigrationStats.Percentiles.NONE,
            MigrationStats.Percentiles.NONE, MigrationStats.Percentiles.NONE, false, null, null,
            new ConvergenceStats(null, 300, 0, false, null, 4L << 30, List.of()), -1,
            new CompressionStats("none", 0, 0, 0), "vm-1");
        assertTrue(line.next(earlier, 2).startsWith("[active   ] round 2   0%"), "a late snapshot does not go back");
    }

    @Test
    void sourceJsonCarriesConvergenceAndTheDestinationNullsWhatItCannotKnow() {
        final String source = stats("source", null).toJson();
        assertTrue(source.contains("\"switchover-reason\": \"downtime-limit\""), source);
        assertTrue(source.contains("\"max-bandwidth-bytes-per-sec\": 0"), source);
        assertTrue(source.contains("\"workload-writes-per-sec\": null"), source);
        assertTrue(source.contains("{\"round\": 1, \"duration-ms\": 20, \"bytes-sent\": 1048576, \"dirty-pages\": 256, "
            + "\"expected-downtime-ms\": 1, \"throttle-percent\": 50}"), source);
        final String destination = stats("destination", null).toJson();
        for (final String key : new String[] {"expected-downtime-ms", "remaining-bytes", "dirty-pages-rate",
            "throttle-percent", "switchover-reason", "max-bandwidth-bytes-per-sec", "workload-writes-per-sec",
            "round-history"}) {
            assertTrue(destination.contains("\"" + key + "\": null"), key + ": " + destination);
        }
        assertTrue(destination.contains("\"downtime-ms\": 7"), destination);
        assertTrue(destination.contains("\"rejected-connections\": 3"), destination);
        assertTrue(source.contains("\"rejected-connections\": null"), source);
    }
}
