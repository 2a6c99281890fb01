package dev.ferry.memory.internal;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The pacing and throttling arithmetic against a fake clock: no sleeping, no timing assertions. */
@Timeout(10)
final class PacerTest {
    private static final long MS = 1_000_000L;

    @Test
    void grantsWritesAtTheRate() {
        final Pacer pacer = new Pacer(1000, 0);
        assertEquals(1, pacer.acquire(0, 100));
        assertEquals(0, pacer.acquire(0, 100));
        assertEquals(MS, pacer.nanosUntilNext(0));
        assertEquals(5, pacer.acquire(5 * MS, 100));
        assertEquals(3, pacer.acquire(9 * MS, 3), "capped by max");
        assertEquals(1, pacer.acquire(9 * MS, 100));
        long total = 10;
        for (long t = 10; t <= 1000; t++) {
            total += pacer.acquire(t * MS, 100);
        }
        assertEquals(1001, total, "one write per ms over a second");
    }

    @Test
    void forgetsDebtBeyondTenMilliseconds() {
        final Pacer pacer = new Pacer(1000, 0);
        assertEquals(1, pacer.acquire(0, 100));
        assertEquals(11, pacer.acquire(5000 * MS, 1000), "a 5 s stall catches up 10 ms, not 5000 writes");
        assertEquals(0, pacer.acquire(5000 * MS, 1000));
    }

    @Test
    void idleRateGrantsNothing() {
        final Pacer pacer = new Pacer(0, 0);
        assertEquals(0, pacer.acquire(Long.MAX_VALUE / 2, 100));
        assertEquals(Long.MAX_VALUE, pacer.nanosUntilNext(0));
        assertThrows(IllegalArgumentException.class, () -> new Pacer(-1, 0));
    }

    @Test
    void throttleSleepsItsShareOfEachSlice() {
        final Pacer pacer = new Pacer(1000, 100 * MS);
        assertEquals(0, pacer.throttleSleepNs(100 * MS + 9 * MS));
        pacer.throttlePercent(30);
        assertEquals(0, pacer.throttleSleepNs(100 * MS));
        assertEquals(0, pacer.throttleSleepNs(100 * MS + 7 * MS - 1));
        assertEquals(3 * MS, pacer.throttleSleepNs(100 * MS + 7 * MS));
        assertEquals(MS, pacer.throttleSleepNs(100 * MS + 19 * MS));
        assertEquals(0, pacer.throttleSleepNs(100 * MS + 20 * MS));
        pacer.throttlePercent(99);
        assertEquals(10 * MS - 100_000, pacer.throttleSleepNs(200 * MS + 100_000));
        assertThrows(IllegalArgumentException.class, () -> pacer.throttlePercent(100));
    }

    @Test
    void aThrottledWriterLosesTheTimeItSlept() {
        // 1000 writes/s at 70%: each 10 ms slice works 3 ms and sleeps 7; over a second, 300 writes, not 1000.
        final Pacer pacer = new Pacer(1000, 0);
        pacer.throttlePercent(70);
        long total = 0;
        for (long t = 0; t < 1000; t++) {
            final long nowNs = t * MS;
            if (pacer.throttleSleepNs(nowNs) > 0) {
                pacer.forgive(nowNs + pacer.throttleSleepNs(nowNs));
                continue;
            }
            total += pacer.acquire(nowNs, 100);
        }
        assertEquals(300, total, 3);
    }
}
