package dev.ferry.engine.stats;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramLogWriter;
import org.HdrHistogram.Recorder;

import java.io.OutputStream;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The live counters of one side of a migration. Each counter has one writer thread (the migration thread, or one
 * channel's thread for its slot of the per-channel arrays), so updates are ordered stores, never contended RMW;
 * any thread may read them for a snapshot.
 */
public final class Counters {
    /** Per-channel slots are this many longs apart, so two channels never share a cache line. */
    private static final int STRIDE = 16;

    public final long startNs = System.nanoTime();
    public final AtomicLong setupDoneNs = new AtomicLong();
    public final AtomicLong pausedNs = new AtomicLong();
    public final AtomicLong downtimeNs = new AtomicLong(-1);
    public final AtomicLong verifyNs = new AtomicLong(-1);
    public final AtomicLong endNs = new AtomicLong();
    public final AtomicLong rounds = new AtomicLong();
    public final AtomicLong remainingPages = new AtomicLong();
    public final AtomicLong dirtyPagesPerSecond = new AtomicLong();
    public final AtomicLong expectedDowntimeMs = new AtomicLong();
    public final AtomicLong throttlePercent = new AtomicLong();
    public final AtomicLong mainBytes = new AtomicLong();
    private final int channels;
    private final AtomicLongArray channelBytes;
    private final AtomicLongArray channelNormalPages;
    private final AtomicLongArray channelZeroPages;
    /** Longest latency a histogram tracks; longer values are recorded as this. */
    private static final long HIGHEST_TRACKABLE_NS = TimeUnit.MINUTES.toNanos(10);

    /*
     * Fixed-range recorders (never auto-resizing) whose interval histograms are recycled: reading a snapshot must
     * not make a recording thread allocate, and an auto-resizing histogram swapped in fresh by every read would.
     */
    private final Recorder packetLatencyNs = new Recorder(1, HIGHEST_TRACKABLE_NS, 3);
    private final Recorder barrierLatencyNs = new Recorder(1, HIGHEST_TRACKABLE_NS, 3);
    private final Recorder bitmapSyncNs = new Recorder(1, HIGHEST_TRACKABLE_NS, 3);
    private Histogram packetLatencyInterval;
    private Histogram barrierLatencyInterval;
    private Histogram bitmapSyncInterval;

    public Counters(final int channels) {
        this.channels = channels;
        this.channelBytes = new AtomicLongArray(Math.max(1, channels) * STRIDE);
        this.channelNormalPages = new AtomicLongArray(Math.max(1, channels) * STRIDE);
        this.channelZeroPages = new AtomicLongArray(Math.max(1, channels) * STRIDE);
    }

    /** Adds to channel {@code channel}'s counters; called only by that channel's thread. */
    public void addChannel(final int channel, final long bytes, final int normalPages, final int zeroPages) {
        final int slot = channel * STRIDE;
        channelBytes.lazySet(slot, channelBytes.get(slot) + bytes);
        channelNormalPages.lazySet(slot, channelNormalPages.get(slot) + normalPages);
        channelZeroPages.lazySet(slot, channelZeroPages.get(slot) + zeroPages);
    }

    public long channelBytes(final int channel) {
        return channelBytes.get(channel * STRIDE);
    }

    public long normalPages() {
        long sum = 0;
        for (int c = 0; c < channels; c++) {
            sum += channelNormalPages.get(c * STRIDE);
        }
        return sum;
    }

    public long zeroPages() {
        long sum = 0;
        for (int c = 0; c < channels; c++) {
            sum += channelZeroPages.get(c * STRIDE);
        }
        return sum;
    }

    public long transferredBytes() {
        long sum = mainBytes.get();
        for (int c = 0; c < channels; c++) {
            sum += channelBytes.get(c * STRIDE);
        }
        return sum;
    }

    private final Histogram packetLatencyTotal = new Histogram(1, HIGHEST_TRACKABLE_NS, 3);
    private final Histogram barrierLatencyTotal = new Histogram(1, HIGHEST_TRACKABLE_NS, 3);
    private final Histogram bitmapSyncTotal = new Histogram(1, HIGHEST_TRACKABLE_NS, 3);

    /** Packet write latency (source) or packet apply latency (destination), ns; allocation-free. */
    public void recordPacketLatency(final long ns) {
        packetLatencyNs.recordValue(clamp(ns));
    }

    /** SYNC barrier latency, ns: source SYNC queued to FLUSH written; destination first SYNC to release. */
    public void recordBarrierLatency(final long ns) {
        barrierLatencyNs.recordValue(clamp(ns));
    }

    /** Dirty-bitmap harvest time, ns (source only). */
    public void recordBitmapSync(final long ns) {
        bitmapSyncNs.recordValue(clamp(ns));
    }

    private static long clamp(final long ns) {
        return Math.max(1, Math.min(ns, HIGHEST_TRACKABLE_NS));
    }

    /** Tag of the packet write (source) or apply (destination) latency histogram in an {@code .hlog}. */
    public static final String PACKET_LATENCY_TAG = "packet-latency-ns";
    /** Tag of the SYNC barrier latency histogram in an {@code .hlog}. */
    public static final String BARRIER_LATENCY_TAG = "sync-barrier-latency-ns";
    /** Tag of the dirty-bitmap harvest time histogram in an {@code .hlog}. */
    public static final String BITMAP_SYNC_TAG = "bitmap-sync-ns";

    /**
     * Writes the three histograms, everything recorded so far, to {@code out} as an HdrHistogram log
     * ({@code .hlog}: read it with {@code HistogramLogReader} or HdrHistogram's plotting tools), one tagged entry
     * each, nanoseconds.
     */
    public synchronized void writeHistogramLog(final OutputStream out) {
        packetLatency();
        barrierLatency();
        bitmapSync();
        final HistogramLogWriter writer = new HistogramLogWriter(out);
        final long nowMs = System.currentTimeMillis();
        writer.outputComment("Ferry latency histograms, nanoseconds");
        writer.outputLogFormatVersion();
        writer.outputStartTime(nowMs);
        writer.outputLegend();
        write(writer, packetLatencyTotal, PACKET_LATENCY_TAG, nowMs);
        write(writer, barrierLatencyTotal, BARRIER_LATENCY_TAG, nowMs);
        write(writer, bitmapSyncTotal, BITMAP_SYNC_TAG, nowMs);
    }

    private static void write(final HistogramLogWriter writer, final Histogram total, final String tag,
        final long nowMs) {
        final Histogram copy = total.copy();
        copy.setTag(tag);
        copy.setStartTimeStamp(nowMs);
        copy.setEndTimeStamp(nowMs);
        writer.outputIntervalHistogram(copy);
    }

    public synchronized MigrationStats.Percentiles packetLatency() {
        packetLatencyInterval = packetLatencyNs.getIntervalHistogram(packetLatencyInterval);
        packetLatencyTotal.add(packetLatencyInterval);
        return MigrationStats.Percentiles.of(packetLatencyTotal);
    }

    public synchronized MigrationStats.Percentiles barrierLatency() {
        barrierLatencyInterval = barrierLatencyNs.getIntervalHistogram(barrierLatencyInterval);
        barrierLatencyTotal.add(barrierLatencyInterval);
        return MigrationStats.Percentiles.of(barrierLatencyTotal);
    }

    public synchronized MigrationStats.Percentiles bitmapSync() {
        bitmapSyncInterval = bitmapSyncNs.getIntervalHistogram(bitmapSyncInterval);
        bitmapSyncTotal.add(bitmapSyncInterval);
        return MigrationStats.Percentiles.of(bitmapSyncTotal);
    }
}
