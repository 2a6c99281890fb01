package dev.ferry.engine.source;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The bandwidth meter and the cap's timeline, with the clock passed in (no timing assertions); one test waits on a
 * real sender, bounded by 1,000 s against 20.
 */
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
    void theBacklogIsInBytesAndDrainsAtWhateverTheCapIsNow() {
        final BandwidthLimiter limiter = new BandwidthLimiter(1_000_000);
        limiter.reserve(10_000_000, 0);
        assertEquals(10_000 * MS, limiter.reserve(1_000, 0), "10 MB at 1 MB/s: the next packet is 10 s out");
        limiter.bytesPerSecond(1_000_000, 0);
        assertEquals(10_001 * MS, limiter.reserve(1_000, 0), "the same cap again keeps what was booked");
        limiter.bytesPerSecond(500_000, 0);
        assertEquals(20_004 * MS, limiter.reserve(500, 0), "a lower cap keeps it too: its 10.002 MB now drain at 0.5 MB/s");
        limiter.bytesPerSecond(100_000_000, 0);
        assertEquals(100_025_000, limiter.reserve(1_000, 0), "a 100 MB/s one: the 10.0025 MB booked take 100 ms");
        limiter.bytesPerSecond(0, 0);
        assertEquals(0, limiter.reserve(1_000, 0), "lifted: nobody waits");
    }

    /** A cap switched up and down (or shares that move as migrations come and go) never exceeds its highest value. */
    @Test
    void aCapSwitchedUpAndDownLetsThroughNoMoreThanItsHighestValue() {
        final BandwidthLimiter limiter = new BandwidthLimiter(50_000_000);
        long lastStartNs = 0;
        for (int i = 0; i < 1_000; i++) {
            limiter.bytesPerSecond(i % 2 == 0 ? 50_000_000 : 33_333_333, 0);
            lastStartNs = limiter.reserve(1_000_000, 0);
        }
        assertTrue(lastStartNs >= 19_980 * MS, "999 MB booked before it: at least 19.98 s at 50 MB/s, was " +
            lastStartNs / MS + " ms");
    }

    /** An orchestrator that re-applies the cap every tick must not lift it by doing so. */
    @Test
    void reapplyingTheCapKeepsTheRate() {
        final BandwidthLimiter limiter = new BandwidthLimiter(1_000_000);
        long lastWaitNs = 0;
        for (int i = 0; i < 100; i++) {
            limiter.bytesPerSecond(1_000_000, 0);
            lastWaitNs = limiter.reserve(100_000, 0);
        }
        assertEquals(9_900 * MS, lastWaitNs, "100 packets of 100 KB at 1 MB/s: the last one waits 9.9 s");
    }

    /** A sender waiting its turn at the old rate goes as soon as the operator lifts or raises the cap. */
    @Test
    @Timeout(60)
    void aWaitingSenderGoesWhenTheCapIsLiftedOrRaised() throws Exception {
        for (final long newCap : new long[] {0, 1_000_000_000}) {
            final BandwidthLimiter limiter = new BandwidthLimiter(1_000);
            limiter.reserve(1_000_000, System.nanoTime()); // the link is 1,000 s behind
            final CountDownLatch done = new CountDownLatch(1);
            final Thread sender = new Thread(() -> {
                limiter.acquire(1_000, () -> true);
                done.countDown();
            });
            sender.start();
            assertFalse(done.await(100, TimeUnit.MILLISECONDS), "it waits its turn");
            limiter.bytesPerSecond(newCap);
            assertTrue(done.await(20, TimeUnit.SECONDS), "and goes once the cap is " + (0 == newCap ? "lifted" :
                "raised a million times (1 ms left)") + ", not 1,000 s later");
            sender.join();
        }
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

    /**
     * Senders write ahead of the link by at most its queue, as into a socket buffer: 200 MB/s, packets of 1 MB
     * (5 ms each). Five go at once (the fifth's slot starts 20 ms after now: exactly the queue); the sixth waits
     * until its slot is 20 ms away; over any span the bytes written stay within the cap plus the queue.
     */
    @Test
    void sendersRunAheadOfTheLinkByItsQueueAndNoFurther() {
        final BandwidthLimiter limiter = new BandwidthLimiter(200_000_000);
        for (int i = 0; i < 4; i++) {
            assertEquals(0, limiter.delay(1_000_000, 0), "packet " + i + " goes into the queue at once");
        }
        assertEquals(0, limiter.delay(1_000_000, 0), "the fifth starts 20 ms ahead: exactly the queue");
        assertEquals(5 * MS, limiter.delay(1_000_000, 0), "the sixth waits until its slot is 20 ms away");
        assertEquals(0, limiter.delay(1_000_000, 10 * MS), "the link moved on 10 ms: room for one more");
        long written = 7_000_000;
        long now = 10 * MS;
        while (now < 1_000 * MS) { // one sender as fast as it may: it writes each packet once told to
            now += limiter.delay(1_000_000, now);
            written += 1_000_000;
            assertTrue(written <= 200_000_000 * (now + BandwidthLimiter.QUEUE_NS) / 1e9 + 1_000_000,
                written + " bytes by " + now / MS + " ms");
        }
        assertTrue(written >= 200_000_000, "and the link is kept busy: " + written + " bytes in 1 s");
        assertEquals(0, new BandwidthLimiter(0).delay(1L << 30, 0), "0 is unlimited");
    }
}
