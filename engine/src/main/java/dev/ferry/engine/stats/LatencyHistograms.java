package dev.ferry.engine.stats;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramLogWriter;
import org.HdrHistogram.Recorder;

import java.io.OutputStream;
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

    /*
     * Fixed-range recorders (never auto-resizing) whose interval histograms are recycled: reading a snapshot must
     * not make a recording thread allocate, and an auto-resizing histogram swapped in fresh by every read would.
     */
    private final Series packet = new Series();
    private final Series barrier = new Series();
    private final Series bitmapSync = new Series();

    /** One recorded distribution and everything read from it so far. */
    private static final class Series {
        final Recorder recorder = new Recorder(1, HIGHEST_TRACKABLE_NS, 3);
        final Histogram total = new Histogram(1, HIGHEST_TRACKABLE_NS, 3);
        Histogram interval;

        void record(final long ns) {
            recorder.recordValue(Math.max(1, Math.min(ns, HIGHEST_TRACKABLE_NS)));
        }

        Histogram drain() {
            interval = recorder.getIntervalHistogram(interval);
            total.add(interval);
            return total;
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
        return MigrationStats.Percentiles.of(packet.drain());
    }

    public synchronized MigrationStats.Percentiles barrierLatency() {
        return MigrationStats.Percentiles.of(barrier.drain());
    }

    public synchronized MigrationStats.Percentiles bitmapSync() {
        return MigrationStats.Percentiles.of(bitmapSync.drain());
    }

    /**
     * Writes the three histograms, everything recorded so far, to {@code out} as an HdrHistogram log
     * ({@code .hlog}: read it with {@code HistogramLogReader} or HdrHistogram's plotting tools), one tagged entry
     * each, nanoseconds.
     */
    public synchronized void writeLog(final OutputStream out) {
        final HistogramLogWriter writer = new HistogramLogWriter(out);
        final long nowMs = System.currentTimeMillis();
        writer.outputComment("Ferry latency histograms, nanoseconds");
        writer.outputLogFormatVersion();
        writer.outputStartTime(nowMs);
        writer.outputLegend();
        write(writer, packet.drain(), PACKET_LATENCY_TAG, nowMs);
        write(writer, barrier.drain(), BARRIER_LATENCY_TAG, nowMs);
        write(writer, bitmapSync.drain(), BITMAP_SYNC_TAG, nowMs);
    }

    private static void write(final HistogramLogWriter writer, final Histogram total, final String tag,
        final long nowMs) {
        final Histogram copy = total.copy();
        copy.setTag(tag);
        copy.setStartTimeStamp(nowMs);
        copy.setEndTimeStamp(nowMs);
        writer.outputIntervalHistogram(copy);
    }
}
