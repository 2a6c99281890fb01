package dev.ferry.engine.source;

import dev.ferry.engine.ConvergenceStats;
import dev.ferry.engine.ErrorCode;
import dev.ferry.engine.FerryException;
import dev.ferry.engine.GuestControl;
import dev.ferry.engine.RoundRecord;
import dev.ferry.engine.stats.CounterDescriptor;
import dev.ferry.engine.stats.Counters;
import dev.ferry.engine.stats.FlightEvents;
import dev.ferry.engine.text.Units;
import org.agrona.concurrent.status.AtomicCounter;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * The source's convergence, around the pure {@link ConvergencePolicy}: it measures the bandwidth (a
 * {@link BandwidthMeter} sampled every {@link #SAMPLE_PERIOD_MS}), holds what an operator may change while the
 * migration runs (the downtime limit, the bandwidth cap, a forced switchover), applies the throttle to the guest,
 * and keeps every round's figures for the JSON, the JFR recording and the timeout's explanation. The conductor
 * calls it between rounds; live changes and samples come from other threads through volatile fields.
 */
final class Convergence {
    /** How often the bandwidth meter is sampled. */
    static final long SAMPLE_PERIOD_MS = 20;
    private static final int ROUNDS_EXPLAINED = 3;
    private static final int OVERHEAD_ROUNDS = 3;
    /** The least margin the APPLIED wait adds to the planned downtime. */
    static final long APPLIED_MARGIN_MS = 5_000;

    private final ConvergencePolicy policy;
    private final BandwidthMeter meter = new BandwidthMeter();
    private final BandwidthLimiter limiter;
    private long ownCapBytesPerSec;
    private long shareBytesPerSec;
    private final GuestControl guest;
    private final Counters counters;
    private final AtomicCounter downtimeLimitCounter;
    private final AtomicCounter maxBandwidthCounter;
    private final List<RoundRecord> history = new ArrayList<>();
    private final long pageSize;
    private volatile long downtimeLimitMs;
    private volatile boolean forced;
    private volatile String reason;
    private volatile long roundBytes;
    private volatile int throttle;
    private FlightEvents.Switchover switchover;
    private final long[] overheads = new long[OVERHEAD_ROUNDS];
    private int overheadCount;
    private long peakBandwidth;

    Convergence(final SourceConfig config, final Counters counters) {
        FlightEvents.loadClassesIfOn(); // a first use of an event class must not fall inside the downtime
        this.policy = new ConvergencePolicy(config.switchoverDirtyBytes(), config.maxRounds(), config.autoConverge());
        this.limiter = new BandwidthLimiter(config.maxBandwidthBytesPerSec());
        this.guest = config.guestControl();
        this.counters = counters;
        this.pageSize = config.memory().pageSizeBytes();
        this.downtimeLimitCounter = counters.allocate(CounterDescriptor.DOWNTIME_LIMIT_MS);
        this.maxBandwidthCounter = counters.allocate(CounterDescriptor.MAX_BANDWIDTH_BYTES_PER_SEC);
        downtimeLimitMs(config.downtimeLimitMs());
        maxBandwidth(config.maxBandwidthBytesPerSec());
    }

    BandwidthLimiter limiter() {
        return limiter;
    }

    /** Samples the bytes written so far (the watchdog's periodic task). */
    void sample() {
        meter.sample(System.nanoTime(), counters.channelBytes());
    }

    /** Changes the downtime limit from now on; any thread. */
    void downtimeLimitMs(final long limitMs) {
        if (limitMs < 0) {
            throw new IllegalArgumentException("downtime limit " + limitMs + " ms must be >= 0");
        }
        downtimeLimitMs = limitMs;
        downtimeLimitCounter.setRelease(limitMs);
    }

    /** Changes the bandwidth cap across all channels, bytes per second, 0 for unlimited; any thread. */
    synchronized void maxBandwidth(final long bytesPerSecond) {
        if (bytesPerSecond < 0) {
            throw new IllegalArgumentException("bandwidth cap " + bytesPerSecond + " must be >= 0");
        }
        ownCapBytesPerSec = bytesPerSecond;
        applyCap();
    }

    /** This migration's share of a bandwidth budget it runs with (0: unlimited); the lower of it and its own cap rules. */
    synchronized void budgetShare(final long bytesPerSecond) {
        shareBytesPerSec = bytesPerSecond;
        applyCap();
    }

    /** The cap the limiter enforces and the counter shows: the lower of the migration's own and its share (0: none). */
    private void applyCap() {
        final long own = ownCapBytesPerSec;
        final long share = shareBytesPerSec;
        final long cap = 0 == own ? share : 0 == share ? own : Math.min(own, share);
        limiter.bytesPerSecond(cap);
        maxBandwidthCounter.setRelease(cap);
    }

    /** Switch over at the end of the current round, which ends early; any thread. */
    void force() {
        forced = true;
    }

    boolean forced() {
        return forced;
    }

    boolean stopAndCopy() {
        return policy.stopAndCopy();
    }

    /** A round starts with {@code pages} to send. */
    void roundStarted(final long pages) {
        roundBytes = pages * pageSize;
    }

    /**
     * Round {@code round} ended: records it, and returns the rule that switches over now, or null to iterate (the
     * guest's throttle may have changed).
     */
    ConvergencePolicy.Reason afterRound(final int round, final long pages, final long roundNs, final long bytesSent,
        final long dirtyBytes) {
        final long measured = bandwidth();
        // A round shorter than the meter's sampling period leaves it empty: then the round's own rate.
        final long bandwidth = measured > 0 || roundNs <= 0 ? measured : (long)(bytesSent * 1e9 / roundNs);
        final ConvergencePolicy.Round ended = new ConvergencePolicy.Round(round, pages * pageSize, roundNs, dirtyBytes,
            bandwidth, overheadMs(roundNs, bytesSent, bandwidth));
        final long expectedMs = ended.expectedDowntimeMs();
        counters.expectedDowntimeMs(expectedMs);
        counters.remainingBytes(dirtyBytes);
        record(round, pages, roundNs, bytesSent, expectedMs);
        final ConvergencePolicy.Reason next = policy.afterRound(ended, downtimeLimitMs, forced);
        applyThrottle(policy.throttle(), round);
        return next;
    }

    /**
     * The bandwidth the policy plans with: the meter's, but never more than the cap. Under a cap the channels write
     * in bursts (a packet, then a wait), and the meter, which skips intervals in which nothing moved, sees the burst
     * rate; the final round may run uncapped, but planning with the cap keeps the estimate on the safe side.
     */
    private long bandwidth() {
        final long measured = meter.bytesPerSecond();
        final long cap = limiter.bytesPerSecond();
        return cap > 0 && !limiter.uncapped() ? Math.min(measured, cap) : measured;
    }

    /**
     * What a round costs besides moving its bytes: its duration less its bytes at the best bandwidth seen so far
     * (the sliding window lags behind when rounds get short), the smallest of the last {@link #OVERHEAD_ROUNDS}
     * rounds (the final round pays it too: pause, harvest, barrier, COMPLETE, APPLIED). Planning with bytes alone,
     * or with the window's bandwidth, underestimates short final rounds (docs/benchmarks.md, "Measurements behind
     * the code").
     */
    private long overheadMs(final long roundNs, final long bytesSent, final long bandwidth) {
        peakBandwidth = Math.max(peakBandwidth, bandwidth);
        if (peakBandwidth > 0) {
            final long overhead = Math.max(0, TimeUnit.NANOSECONDS.toMillis(roundNs) - bytesSent * 1000 / peakBandwidth);
            overheads[overheadCount++ % OVERHEAD_ROUNDS] = overhead;
        }
        long least = Long.MAX_VALUE;
        for (int i = 0; i < Math.min(overheadCount, OVERHEAD_ROUNDS); i++) {
            least = Math.min(least, overheads[i]);
        }
        return least == Long.MAX_VALUE ? 0 : least;
    }

    /** The final, paused round ended. */
    void finalRound(final int round, final long pages, final long roundNs, final long bytesSent) {
        record(round, pages, roundNs, bytesSent, TimeUnit.NANOSECONDS.toMillis(roundNs));
    }

    private void record(final int round, final long pages, final long roundNs, final long bytesSent,
        final long expectedMs) {
        final RoundRecord ended = new RoundRecord(round, TimeUnit.NANOSECONDS.toMillis(roundNs), bytesSent, pages,
            expectedMs, throttle);
        synchronized (history) {
            history.add(ended);
        }
        FlightEvents.round(round, bytesSent, pages, expectedMs, throttle / 100.0);
    }

    private void applyThrottle(final int percent, final int round) {
        if (percent == throttle) {
            return;
        }
        final int from = throttle;
        guest.throttle(percent);
        throttle = percent;
        counters.throttlePercent(percent);
        FlightEvents.throttle(from / 100.0, percent / 100.0, round);
    }

    /** The guest is paused now for {@code reason}; the final round {@code round} runs uncapped. */
    void switchingOver(final ConvergencePolicy.Reason why, final int round) {
        reason = why.jsonName();
        limiter.uncap();
        switchover = FlightEvents.switchover(reason, round, counters.expectedDowntimeMs());
    }

    /**
     * How long the paused source waits for APPLIED: a paused guest is an outage, so not the configured
     * {@code appliedTimeoutMs} (2 minutes by default) but the downtime it planned for plus a margin of ten times
     * that, at least {@link #APPLIED_MARGIN_MS}. The planned downtime is the limit, or the expected downtime when a
     * forced or capped switchover paused with more dirty than the limit. Past it the source resumes its guest and
     * fails the migration; the destination never runs a guest whose source has not confirmed it.
     */
    long appliedWaitMs(final long configuredMs) {
        final long planned = Math.max(downtimeLimitMs, Math.min(counters.expectedDowntimeMs(), configuredMs));
        final long bound = planned + Math.max(Math.min(10 * planned, configuredMs), APPLIED_MARGIN_MS);
        return Math.min(configuredMs, bound);
    }

    /** APPLIED arrived: the downtime is over. */
    void applied() {
        if (null != switchover) {
            switchover.commit();
        }
    }

    /** Lifts the throttle; the migration ended, whichever way. */
    void lift() {
        applyThrottle(0, -1);
    }

    /** Why the migration did not complete within {@code timeoutMs}, from the last rounds' figures; any thread. */
    FerryException notConverged(final long timeoutMs) {
        final List<RoundRecord> rounds;
        synchronized (history) {
            rounds = new ArrayList<>(history.subList(Math.max(0, history.size() - ROUNDS_EXPLAINED), history.size()));
        }
        final StringBuilder text = new StringBuilder(64).append("did not converge within ").append(timeoutMs)
            .append(" ms (--timeout): ");
        if (rounds.isEmpty()) {
            text.append("round 0, every page once, had not ended");
        } else {
            long ms = 0;
            long dirty = 0;
            for (final RoundRecord round : rounds) {
                ms += round.durationMs();
                dirty += round.dirtyPages() * pageSize;
            }
            text.append(String.format(Locale.ROOT, "in the last %d rounds the guest dirtied %s/s against a bandwidth" +
                " of %s/s, throttle %d%%", rounds.size(), Units.bytes(dirty * 1000 / Math.max(1, ms)),
                Units.bytes(bandwidth()), throttle));
        }
        if (limiter.bytesPerSecond() > 0) {
            text.append(", bandwidth cap ").append(Units.bytes(limiter.bytesPerSecond())).append("/s");
        }
        return new FerryException(ErrorCode.NOT_CONVERGED, text.toString());
    }

    /** The figures for a snapshot; any thread. */
    ConvergenceStats stats() {
        final List<RoundRecord> rounds;
        synchronized (history) {
            rounds = List.copyOf(history);
        }
        final long writes = guest.unthrottledWritesPerSecond();
        return new ConvergenceStats(reason, downtimeLimitMs, limiter.bytesPerSecond(), limiter.uncapped() &&
            limiter.bytesPerSecond() > 0, writes < 0 ? null : writes, roundBytes, rounds);
    }
}
