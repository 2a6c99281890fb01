package dev.ferry.engine.source;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The switchover rule, with figures only: no clock, no socket. */
final class SwitchoverPolicyTest {
    private static final long MIB = 1 << 20;

    @Test
    void switchesOverOnceTheDirtySetFits() {
        final SwitchoverPolicy policy = new SwitchoverPolicy(16 * MIB, 30);
        assertFalse(policy.switchOver(0, 17 * MIB));
        assertTrue(policy.switchOver(0, 16 * MIB));
        assertTrue(policy.switchOver(5, 0));
    }

    @Test
    void theRoundCapForcesTheFinalRound() {
        final SwitchoverPolicy policy = new SwitchoverPolicy(-1, 5);
        assertFalse(policy.switchOver(0, 0), "-1 never switches over by the dirty rule");
        assertFalse(policy.switchOver(2, Long.MAX_VALUE));
        assertTrue(policy.switchOver(3, Long.MAX_VALUE), "round 3 + the final round 4 = 5 rounds");
    }

    @Test
    void oneRoundIsStopAndCopy() {
        assertTrue(new SwitchoverPolicy(16 * MIB, 1).stopAndCopy());
        assertFalse(new SwitchoverPolicy(16 * MIB, 2).stopAndCopy());
    }

    @Test
    void expectedDowntimeIsTheDirtySetAtTheLastRoundsBandwidth() {
        // 1 GB/s: 100 MB in 100 ms.
        assertEquals(100, SwitchoverPolicy.expectedDowntimeMs(100_000_000L, 1_000_000_000L, 1_000_000_000L));
        assertEquals(0, SwitchoverPolicy.expectedDowntimeMs(0, 1, 1));
    }
}
