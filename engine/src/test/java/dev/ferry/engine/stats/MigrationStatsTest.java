package dev.ferry.engine.stats;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(10)
final class MigrationStatsTest {
    private static MigrationStats stats(final String role, final String error) {
        final MigrationStats.Percentiles p = new MigrationStats.Percentiles(1, 2, 3);
        return new MigrationStats(role, "failed", 1500, 20, 1200, 7, 5, 30, 3L << 30, 1L << 20, 2L << 30, 4L << 30, 100, 50,
            3, 1000, 0, 2, List.of(10L, 20L), p, p, p, false, error, null == error ? null : "CHANNEL_FAILED");
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
        assertTrue(json.contains("\"packet-latency-us\": {\"p50\": 1, \"p99\": 2, \"max\": 3}"), json);
        assertTrue(json.trim().startsWith("{") && json.trim().endsWith("}"));
        assertFalse(json.contains(",\n}"), "no trailing comma: " + json);
    }

    @Test
    void noErrorKeysWhenThereIsNoError() {
        final String json = stats("source", null).toJson();
        assertFalse(json.contains("\"error\""), json);
    }

    @Test
    void progressLinesSaySourceAndDestinationApart() {
        assertEquals("[failed   ] round 2  sent 3.0 GiB (guest 4.0 GiB)  2.0 GiB/s  left in round 1.0 MiB  "
            + "expected downtime 5 ms", ProgressLine.format(stats("source", null)));
        assertEquals("[failed   ] round 3  received 3.0 GiB (guest 4.0 GiB)  2.0 GiB/s",
            ProgressLine.format(stats("destination", null)));
    }
}
