package dev.ferry.engine.source;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The convergence policy with figures only: no clock, no socket. A model guest dirties a hot set at a rate that the
 * throttle scales (distinct pages saturate as writes pile up on the same ones), a model link sends at a fixed
 * bandwidth, and a simulated clock advances by each round's bytes over that bandwidth.
 */
final class ConvergencePolicyTest {
    private static final long MB = 1_000_000L;
    private static final long GB = 1_000 * MB;
    private static final long GUEST = 2 * GB;

    /** What a simulated migration did. */
    private record Run(ConvergencePolicy.Reason reason, int rounds, long downtimeMs, double seconds,
        List<Integer> throttles) {
    }

    /**
     * Migrates a {@link #GUEST} whose {@code hotBytes} are dirtied at {@code rate} bytes/s (unthrottled) over a link of
     * {@code bandwidth}. At most 200 rounds.
     */
    private static Run simulate(final ConvergencePolicy policy, final double hotBytes, final double rate,
        final long bandwidth, final long limitMs) {
        double toSend = GUEST;
        double seconds = 0;
        final List<Integer> throttles = new ArrayList<>();
        for (int round = 0; round < 200; round++) {
            final double roundSeconds = toSend / bandwidth + 0.002;
            seconds += roundSeconds;
            final double writes = rate * (1 - policy.throttle() / 100.0) * roundSeconds;
            final double dirty = hotBytes * (1 - Math.exp(-writes / hotBytes));
            final ConvergencePolicy.Reason reason = policy.afterRound(new ConvergencePolicy.Round(round, (long)toSend,
                (long)(roundSeconds * 1e9), (long)dirty, bandwidth), limitMs, false);
            throttles.add(policy.throttle());
            if (null != reason) {
                return new Run(reason, round + 2, (long)(dirty * 1000 / bandwidth), seconds + dirty / bandwidth,
                    throttles);
            }
            toSend = dirty;
        }
        return new Run(null, 200, -1, seconds, throttles);
    }

    @Test
    void switchesOverWhenTheExpectedDowntimeFitsAndOneMoreRoundWouldNotHalveIt() {
        final ConvergencePolicy policy = new ConvergencePolicy(-1, 0, true);
        // 20 MB dirty at 1 GB/s: 20 ms expected; the guest dirtied 20 MB in a 20 ms round, so the next round of
        // 20 ms would leave as much.
        assertEquals(ConvergencePolicy.Reason.DOWNTIME_LIMIT, policy.afterRound(
            new ConvergencePolicy.Round(3, 40 * MB, 20_000_000L, 20 * MB, GB), 30, false));
        assertEquals(0, policy.throttle(), "a migration that fits is never throttled");
    }

    @Test
    void takesOneMoreRoundWhenItHalvesTheDowntimeAndTheSetStillShrinks() {
        final ConvergencePolicy policy = new ConvergencePolicy(-1, 0, true);
        // 20 MB dirtied over a 100 ms round (200 MB/s): the next 20 ms round leaves about 4 MB.
        assertNull(policy.afterRound(new ConvergencePolicy.Round(3, 100 * MB, 100_000_000L, 20 * MB, GB), 30, false));
        // The same figures, but the set grew (20 MB dirty after sending 10 MB): never iterate once it stops shrinking.
        assertEquals(ConvergencePolicy.Reason.DOWNTIME_LIMIT, policy.afterRound(
            new ConvergencePolicy.Round(4, 10 * MB, 100_000_000L, 20 * MB, GB), 30, false));
    }

    @Test
    void theOtherRulesComeFirst() {
        final ConvergencePolicy.Round huge = new ConvergencePolicy.Round(2, GB, 1_000_000_000L, GB, MB);
        assertEquals(ConvergencePolicy.Reason.FORCED, new ConvergencePolicy(-1, 0, true).afterRound(huge, 0, true));
        assertEquals(ConvergencePolicy.Reason.SWITCHOVER_DIRTY, new ConvergencePolicy(16 * MB, 0, true).afterRound(
            new ConvergencePolicy.Round(2, GB, 1_000_000_000L, 16 * MB, 1), 0, false));
        assertEquals(ConvergencePolicy.Reason.MAX_ROUNDS, new ConvergencePolicy(-1, 5, true).afterRound(
            new ConvergencePolicy.Round(3, GB, 1_000_000_000L, GB, MB), 0, false), "round 3 + the final round 4 = 5");
        assertNull(new ConvergencePolicy(-1, 5, true).afterRound(new ConvergencePolicy.Round(2, GB, 1, GB, MB), 0, false));
        assertNull(new ConvergencePolicy(-1, 0, true).afterRound(
            new ConvergencePolicy.Round(1000, GB, 1, GB, MB), 0, false), "0 rounds: no limit");
        assertTrue(new ConvergencePolicy(-1, 1, true).stopAndCopy());
        assertNull(new ConvergencePolicy(16 * MB, 0, true).afterRound(
            new ConvergencePolicy.Round(2, GB, 1_000_000_000L, 8 * MB, 25 * MB), 300, false),
            "8 MB dirty at 25 MB/s is 320 ms: the small dirty set does not excuse breaking a 300 ms limit");
        assertNull(new ConvergencePolicy(-1, 0, true).afterRound(new ConvergencePolicy.Round(2, GB, 1, 0, GB), 0, false),
            "a limit of 0 turns the downtime rule off");
    }

    @Test
    void aGuestThatConvergesAloneIsNeverThrottled() {
        // 64 MB hot set dirtied at 100 MB/s over 1 GB/s: the set shrinks tenfold per round.
        final Run run = simulate(new ConvergencePolicy(-1, 0, true), 64 * MB, 100 * MB, GB, 300);
        assertEquals(ConvergencePolicy.Reason.DOWNTIME_LIMIT, run.reason());
        assertTrue(run.throttles().stream().allMatch(t -> t == 0), run.toString());
        assertTrue(run.downtimeMs() <= 300, run.toString());
    }

    @Test
    void aHotGuestConvergesUnderTheLimitOnlyWithAutoConverge() {
        // 512 MB hot set dirtied at 8 GB/s over 1 GB/s: without a throttle every round leaves the whole hot set.
        final Run without = simulate(new ConvergencePolicy(-1, 0, false), 512 * MB, 8 * GB, GB, 50);
        assertNull(without.reason(), "never converges: " + without);
        final Run with = simulate(new ConvergencePolicy(-1, 0, true), 512 * MB, 8 * GB, GB, 50);
        assertEquals(ConvergencePolicy.Reason.DOWNTIME_LIMIT, with.reason(), with.toString());
        assertTrue(with.downtimeMs() <= 50, with.toString());
        assertTrue(with.rounds() <= 12, "a computed throttle bites within a few rounds, not a ramp: " + with);
        final List<Integer> throttles = with.throttles();
        assertTrue(throttles.get(throttles.size() - 1) > 90, with.toString());
    }

    @Test
    void throttlesUpWhileTheSetDoesNotShrinkAndDownWhenTheGuestCalms() {
        final ConvergencePolicy policy = new ConvergencePolicy(-1, 0, true);
        // 1 GB/s, 50 ms limit (50 MB fits). The whole 512 MB hot set dirtied again in a 0.5 s round: 91%.
        assertNull(policy.afterRound(new ConvergencePolicy.Round(1, 512 * MB, 500_000_000L, 512 * MB, GB), 50, false));
        assertEquals(91, policy.throttle());
        // 200 MB left where a quarter (128 MB) was planned: the measured rate is a lower bound, so it goes up to 96%.
        assertNull(policy.afterRound(new ConvergencePolicy.Round(2, 512 * MB, 500_000_000L, 200 * MB, GB), 50, false));
        assertEquals(96, policy.throttle());
        // The guest calmed: 60 MB over a 1 s round, under half of what was sent. The computed throttle falls.
        assertNull(policy.afterRound(new ConvergencePolicy.Round(3, 200 * MB, 1_000_000_000L, 60 * MB, GB), 50, false));
        assertEquals(67, policy.throttle());
    }

    @Test
    void neverThrottlesPast99Percent() {
        // 100 GB/s of dirtying against 1 MB/s: even 99% cannot make it converge.
        final Run run = simulate(new ConvergencePolicy(-1, 0, true), GB, 100.0 * GB, MB, 10);
        assertNull(run.reason());
        assertTrue(run.throttles().stream().allMatch(t -> t <= ConvergencePolicy.MAX_THROTTLE), run.toString());
        assertEquals(ConvergencePolicy.MAX_THROTTLE, run.throttles().get(run.throttles().size() - 1));
    }

    @Test
    void expectedDowntimeIsTheDirtySetAtTheMeasuredBandwidth() {
        assertEquals(100, ConvergencePolicy.expectedDowntimeMs(100 * MB, GB));
        assertEquals(0, ConvergencePolicy.expectedDowntimeMs(0, 0));
        assertTrue(ConvergencePolicy.expectedDowntimeMs(1, 0) > 1_000_000, "nothing measured yet: does not fit");
    }
}
