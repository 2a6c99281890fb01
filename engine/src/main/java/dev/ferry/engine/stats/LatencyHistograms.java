package dev.ferry.engine.stats;

import dev.ferry.engine.MigrationStats;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramLogWriter;
import org.HdrHistogram.Recorder;

import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The latency distributions of one side (HdrHistogram): packet write or apply latency, SYNC barrier latency,
 * dirty-bitmap harvest time, all in nanoseconds. Recording is allocation-free and wait-free.
 */
public final class LatencyHistograms {
    /** Tag of the packet write (source) or apply (destination) latency histogram in an {@code .hlog}. */
    public static final String PACKET_LATENCY_TAG = "packet-latency-ns";
    /** Tag of the SYNC barrier latency histogram in an {@code .hlog}. */
    public static final String BARRIER_LATENCY_TAG = "sync-barrier-latency-ns";
    /** Tag of the dirty-bitmap harvest time histogram in an {@code .hlog}. */
    public static final String BITMAP_SYNC_TAG = "bitmap-sync-ns";
    /** Longest latency a histogram tracks; longer values are recorded as this. */
    private static final long HIGHEST_TRACKABLE_NS = TimeUnit.MINUTES.toNanos(10);
    /**
     * Two significant digits (1% resolution): each histogram is 33 KB, small enough that closing a round's interval
     * (three copies, adds and resets) costs the conductor no young GC mid-round (docs/benchmarks.md, "Measurements
     * behind the code").
     */
    private static final int SIGNIFICANT_DIGITS = 2;

    /*
     * Fixed-range recorders (never auto-resizing) whose interval histograms are recycled: reading a snapshot must
     * not make a recording thread allocate, and an auto-resizing histogram swapped in fresh by every read would.
     */
    private final Series packet = new Series(PACKET_LATENCY_TAG);
    private final Series barrier = new Series(BARRIER_LATENCY_TAG);
    private final Series bitmapSync = new Series(BITMAP_SYNC_TAG);
    private final long startMs = System.currentTimeMillis();
    private final List<Histogram> intervals = new ArrayList<>();
    private long intervalStartMs = startMs;

    /** One recorded distribution, everything read from it so far, and what was read since the last interval. */
    private static final class Series {
        final String tag;
        final Recorder recorder = new Recorder(1, HIGHEST_TRACKABLE_NS, SIGNIFICANT_DIGITS);
        final Histogram total = new Histogram(1, HIGHEST_TRACKABLE_NS, SIGNIFICANT_DIGITS);
        final Histogram current = new Histogram(1, HIGHEST_TRACKABLE_NS, SIGNIFICANT_DIGITS);
        Histogram interval;

        Series(final String tag) {
            this.tag = tag;
        }

        void record(final long ns) {
            recorder.recordValue(Math.max(1, Math.min(ns, HIGHEST_TRACKABLE_NS)));
        }

        Histogram drain() {
            interval = recorder.getIntervalHistogram(interval);
            total.add(interval);
            current.add(interval);
            return total;
        }

        /** What was recorded since the last call, tagged and stamped, and a fresh start. */
        Histogram takeCurrent(final long fromMs, final long toMs) {
            drain();
            final Histogram copy = current.copy();
            current.reset();
            copy.setTag(tag);
            copy.setStartTimeStamp(fromMs);
            copy.setEndTimeStamp(toMs);
            return copy;
        }
    }

    /** Packet write latency (source) or packet apply latency (destination), ns. */
    public void recordPacketLatency(final long ns) {
        packet.record(ns);
    }

    /** SYNC barrier latency, ns: source SYNC queued to FLUSH written; destination first SYNC to release. */
    public void recordBarrierLatency(final long ns) {
        barrier.record(ns);
    }

    /** Dirty-bitmap harvest time, ns (source only). */
    public void recordBitmapSync(final long ns) {
        bitmapSync.record(ns);
    }

    public synchronized MigrationStats.Percentiles packetLatency() {
        return percentiles(packet.drain());
    }

    public synchronized MigrationStats.Percentiles barrierLatency() {
        return percentiles(barrier.drain());
    }

    public synchronized MigrationStats.Percentiles bitmapSync() {
        return percentiles(bitmapSync.drain());
    }

    /**
     * Closes the current interval (one per round: the source calls it when a round ends, the destination when a
     * FLUSH releases the channels). Allocates three histograms per round, never per packet.
     */
    public synchronized void endInterval() {
        final long nowMs = System.currentTimeMillis();
        intervals.add(packet.takeCurrent(intervalStartMs, nowMs));
        intervals.add(barrier.takeCurrent(intervalStartMs, nowMs));
        intervals.add(bitmapSync.takeCurrent(intervalStartMs, nowMs));
        intervalStartMs = nowMs;
    }

    /**
     * Writes the histograms to {@code out} as an HdrHistogram log ({@code .hlog}, nanoseconds): one interval per
     * round for each of the three tags, then what was recorded after the last round. Read it with
     * {@code HistogramLogReader} or {@code HistogramLogProcessor} (docs/operations.md).
     */
    public synchronized void writeLog(final OutputStream out) {
        final HistogramLogWriter writer = new HistogramLogWriter(out);
        writer.outputComment("Ferry latency histograms, nanoseconds, one interval per round");
        writer.outputLogFormatVersion();
        writer.setBaseTime(startMs);
        writer.outputStartTime(startMs);
        writer.outputLegend();
        final List<Histogram> all = new ArrayList<>(intervals);
        final long nowMs = System.currentTimeMillis();
        for (final Series series : new Series[] {packet, barrier, bitmapSync}) {
            final Histogram rest = series.takeCurrent(intervalStartMs, nowMs);
            if (rest.getTotalCount() > 0) {
                all.add(rest);
            }
        }
        intervalStartMs = nowMs;
        intervals.clear();
        intervals.addAll(all);
        for (final Histogram interval : all) {
            writer.outputIntervalHistogram(interval);
        }
    }

    /** The four points of a histogram of nanoseconds, in microseconds; {@link MigrationStats.Percentiles#NONE} if empty. */
    static MigrationStats.Percentiles percentiles(final Histogram histogramNs) {
        if (histogramNs.getTotalCount() == 0) {
            return MigrationStats.Percentiles.NONE;
        }
        return new MigrationStats.Percentiles(histogramNs.getValueAtPercentile(50) / 1000,
            histogramNs.getValueAtPercentile(99) / 1000, histogramNs.getValueAtPercentile(99.9) / 1000,
            histogramNs.getMaxValue() / 1000);
    }
}
