package dev.ferry.engine.source;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The bandwidth meter and the cap's timeline, with the clock passed in: no sleeping, no timing assertions. */
final class BandwidthTest {
    private static final long MS = 1_000_000L;

    @Test
    void theMeterSkipsIdleIntervalsAndForgetsBeyondItsWindow() {
        final BandwidthMeter meter = new BandwidthMeter();
        meter.sample(0, 0);
        assertEquals(0, meter.bytesPerSecond(), "nothing measured yet");
        for (long t = 1; t <= 50; t++) {
            meter.sample(t * 20 * MS, t * 20_000_000L);
        }
        assertEquals(1_000_000_000L, meter.bytesPerSecond(), "20 MB per 20 ms: 1 GB/s");
        meter.sample(5_000 * MS, 1_000_000_000L);
        assertEquals(1_000_000_000L, meter.bytesPerSecond(), "an idle gap is not the link's speed");
        for (long t = 1; t <= 60; t++) {
            meter.sample(5_000 * MS + t * 20 * MS, 1_000_000_000L + t * 2_000_000L);
        }
        assertEquals(100_000_000L, meter.bytesPerSecond(), "after a second of 100 MB/s the old rate is forgotten");
    }

    @Test
    void theCapReservesOneSharedTimelineWithoutLendingIdleTime() {
        final BandwidthLimiter limiter = new BandwidthLimiter(1_000_000);
        assertEquals(0, limiter.reserve(500_000, 0), "the first packet goes at once");
        assertEquals(500 * MS, limiter.reserve(500_000, 0), "the next one waits its turn, whichever channel");
        assertEquals(900 * MS, limiter.reserve(100_000, 100 * MS));
        assertEquals(0, limiter.reserve(100_000, 5_000 * MS), "after idle time: now, but no burst credit");
        assertEquals(100 * MS, limiter.reserve(100_000, 5_000 * MS));
        long bytes = 0;
        long lastStart = 0;
        for (int i = 0; i < 100; i++) {
            lastStart = 6_000 * MS + limiter.reserve(65_536, 6_000 * MS);
            bytes += 65_536;
        }
        assertTrue(bytes - 65_536 <= (lastStart - 6_000 * MS) / 1e9 * 1_000_000 + 1, "at most the cap over time");
        limiter.uncap();
        assertEquals(0, limiter.reserve(1L << 30, 6_000 * MS), "uncapped for the final round");
        assertEquals(0, new BandwidthLimiter(0).reserve(1L << 30, 0), "0 is unlimited");
    }
}
