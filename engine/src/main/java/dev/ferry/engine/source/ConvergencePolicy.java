package dev.ferry.engine.source;

/**
 * When the source stops iterating and pauses the guest, and how hard auto-converge throttles it. Pure: it sees only
 * the figures of each round, never a clock or a socket, so it is tested with a model of bandwidth and dirty rate.
 * <p>
 * After each round, in this order (docs/design.md gives the figures behind it):
 * <ol>
 *   <li>a forced switchover (the operator's last resort) switches over;</li>
 *   <li>at most {@code switchoverDirtyBytes} dirty switches over, if that also fits the downtime limit (on a slow
 *   link 16 MiB does not: 670 ms at 200 Mbit/s);</li>
 *   <li>a round cap, when given, makes the next round the final one whatever the limit;</li>
 *   <li>when the dirty bytes at the measured bandwidth fit the downtime limit (0: no such rule), it switches over,
 *   unless one more round is predicted to at least halve the downtime, saving a substantial share of the limit, and
 *   the dirty set is still shrinking;</li>
 *   <li>otherwise it iterates, and auto-converge sets the throttle the figures call for.</li>
 * </ol>
 * The throttle is computed, not ramped: from the round just ended it estimates the guest's unthrottled dirty rate
 * {@code W0 = measured / (1 - throttle)} and asks for the throttle that brings the rate down to
 * {@code target x bandwidth}, where {@code target} is the share of the dirty set the next round may leave dirty
 * (at most one half, less when one round must bring the set under the limit). A measured rate is a lower bound when
 * the guest's writes pile up on the same pages, so when a round did not shrink the dirty set as planned it also
 * halves the guest's remaining share of time; when the rate falls, the computed throttle falls with it. Never past
 * {@value #MAX_THROTTLE}%.
 */
final class ConvergencePolicy {
    /** The most auto-converge throttles a guest, percent. */
    static final int MAX_THROTTLE = 99;
    /** At most this share of the dirty set may be left dirty by the next round when auto-converge steers. */
    static final double MAX_SHRINK_RATIO = 0.5;
    /** One more round must save at least this share of the downtime limit... */
    static final double MIN_SAVING_SHARE = 0.1;
    /** ...and at least this many milliseconds. */
    static final long MIN_SAVING_MS = 5;

    /** Which rule switched over: the names are the JSON's {@code switchover-reason} values (a contract). */
    enum Reason {
        DOWNTIME_LIMIT("downtime-limit"),
        SWITCHOVER_DIRTY("switchover-dirty"),
        MAX_ROUNDS("max-rounds"),
        FORCED("forced");

        private final String jsonName;

        Reason(final String jsonName) {
            this.jsonName = jsonName;
        }

        String jsonName() {
            return jsonName;
        }
    }

    /**
     * What one round did.
     *
     * @param round           the round's number, 0 first.
     * @param sentBytes       page bytes the round queued (the dirty set it started with).
     * @param roundNs         how long it took, harvest to FLUSH.
     * @param dirtyBytes      bytes dirty when it ended.
     * @param bandwidth       bytes per second the channels achieved, measured over a sliding window.
     * @param overheadMs      what a round costs besides its bytes (harvest, barrier, the final exchange), measured.
     */
    record Round(int round, long sentBytes, long roundNs, long dirtyBytes, long bandwidth, long overheadMs) {
        Round(final int round, final long sentBytes, final long roundNs, final long dirtyBytes, final long bandwidth) {
            this(round, sentBytes, roundNs, dirtyBytes, bandwidth, 0);
        }

        /** What pausing after this round would cost: the dirty bytes at the bandwidth, plus a round's fixed cost. */
        long expectedDowntimeMs() {
            return ConvergencePolicy.expectedDowntimeMs(dirtyBytes, bandwidth) + overheadMs;
        }

        /** Bytes per second the guest dirtied during the round, distinct pages only. */
        double dirtyRate() {
            return dirtyBytes * 1e9 / Math.max(1, roundNs);
        }
    }

    private final long switchoverDirtyBytes;
    private final int maxRounds;
    private final boolean autoConverge;
    private int throttle;

    /**
     * @param switchoverDirtyBytes switch over once at most this much is dirty (-1: never by this rule).
     * @param maxRounds            most rounds, the final one included; 0 for no limit.
     * @param autoConverge         whether to throttle a guest that dirties faster than the channels send.
     */
    ConvergencePolicy(final long switchoverDirtyBytes, final int maxRounds, final boolean autoConverge) {
        this.switchoverDirtyBytes = switchoverDirtyBytes;
        this.maxRounds = maxRounds;
        this.autoConverge = autoConverge;
    }

    /** Whether round 0 is already the final, paused round (stop-and-copy). */
    boolean stopAndCopy() {
        return maxRounds == 1;
    }

    /** The throttle auto-converge asks for now, percent. */
    int throttle() {
        return throttle;
    }

    /**
     * After {@code ended}: the rule that switches over now, or null to iterate (the throttle may have changed).
     *
     * @param ended           the round just ended.
     * @param downtimeLimitMs the downtime limit now (it may change while the migration runs); 0 turns the rule off.
     * @param forced          the operator forced a switchover.
     */
    Reason afterRound(final Round ended, final long downtimeLimitMs, final boolean forced) {
        if (forced) {
            return Reason.FORCED;
        }
        final long dirty = ended.dirtyBytes();
        final long expectedMs = ended.expectedDowntimeMs();
        if (dirty <= switchoverDirtyBytes && (downtimeLimitMs == 0 || expectedMs <= downtimeLimitMs)) {
            return Reason.SWITCHOVER_DIRTY;
        }
        if (maxRounds > 0 && ended.round() + 2 >= maxRounds) {
            return Reason.MAX_ROUNDS;
        }
        if (downtimeLimitMs > 0 && expectedMs <= downtimeLimitMs) {
            return oneMoreRoundPays(ended, expectedMs, downtimeLimitMs) ? null : Reason.DOWNTIME_LIMIT;
        }
        if (autoConverge) {
            throttle = nextThrottle(ended, downtimeLimitMs);
        }
        return null;
    }

    /**
     * One more round is worth it when the dirty set is still shrinking, the round would leave at most half of it
     * (it lasts {@code dirty / bandwidth}, and the guest dirties at the rate it just did), and the downtime it saves
     * is substantial: at least {@link #MIN_SAVING_SHARE} of the limit and {@link #MIN_SAVING_MS}. Without that floor
     * a throttled guest that halves its dirty set each round would iterate on for savings of a millisecond.
     */
    private static boolean oneMoreRoundPays(final Round ended, final long expectedMs, final long limitMs) {
        final long dirty = ended.dirtyBytes();
        if (dirty >= ended.sentBytes() || ended.bandwidth() <= 0) {
            return false;
        }
        final double nextRoundSeconds = (double)dirty / ended.bandwidth();
        final double nextDirty = ended.dirtyRate() * nextRoundSeconds;
        final double savingMs = (expectedMs - ended.overheadMs()) * (1 - nextDirty / dirty);
        return nextDirty <= dirty / 2.0 && savingMs >= Math.max(MIN_SAVING_MS, MIN_SAVING_SHARE * limitMs);
    }

    private int nextThrottle(final Round ended, final long downtimeLimitMs) {
        final double dirty = ended.dirtyBytes();
        final double fits = (double)ended.bandwidth() * downtimeLimitMs / 1000;
        final double target = Math.min(MAX_SHRINK_RATIO, fits / dirty);
        final double unthrottledRate = ended.dirtyRate() / (1 - throttle / 100.0);
        int next = (int)Math.ceil(100 * (1 - target * ended.bandwidth() / Math.max(1, unthrottledRate)));
        final boolean shrankAsPlanned = dirty <= target * ended.sentBytes();
        if (!shrankAsPlanned && throttle > 0) {
            next = Math.max(next, 100 - (100 - throttle) / 2);
        } else if (!shrankAsPlanned && dirty >= ended.sentBytes()) {
            next = Math.max(next, 100 / 2);
        }
        return Math.max(0, Math.min(MAX_THROTTLE, next));
    }

    /** What pausing now would cost: {@code dirtyBytes} at {@code bandwidth} bytes per second (0: unknown, huge). */
    static long expectedDowntimeMs(final long dirtyBytes, final long bandwidth) {
        if (bandwidth <= 0) {
            return dirtyBytes == 0 ? 0 : Long.MAX_VALUE / 2;
        }
        return (long)(dirtyBytes * 1000.0 / bandwidth);
    }
}
