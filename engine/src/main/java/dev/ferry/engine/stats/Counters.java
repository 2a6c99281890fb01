package dev.ferry.engine.stats;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

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
    public final AtomicLong totalPages = new AtomicLong();
    private final int channels;
    private final AtomicLongArray channelBytes;
    private final AtomicLongArray channelNormalPages;
    private final AtomicLongArray channelZeroPages;
    /** Packet write latency (source) or packet apply latency (destination), ns. */
    public final Recorder packetLatencyNs = new Recorder(3);
    /** SYNC barrier latency, ns: source SYNC queued to FLUSH written; destination first SYNC to release. */
    public final Recorder barrierLatencyNs = new Recorder(3);
    /** Dirty-bitmap harvest time, ns (source only). */
    public final Recorder bitmapSyncNs = new Recorder(3);

    public Counters(final int channels) {
        this.channels = channels;
        this.channelBytes = new AtomicLongArray(Math.max(1, channels) * STRIDE);
        this.channelNormalPages = new AtomicLongArray(Math.max(1, channels) * STRIDE);
        this.channelZeroPages = new AtomicLongArray(Math.max(1, channels) * STRIDE);
    }

    public int channels() {
        return channels;
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

    private final Histogram packetLatencyTotal = new Histogram(3);
    private final Histogram barrierLatencyTotal = new Histogram(3);
    private final Histogram bitmapSyncTotal = new Histogram(3);

    public synchronized MigrationStats.Percentiles packetLatency() {
        return MigrationStats.Percentiles.of(drain(packetLatencyNs, packetLatencyTotal));
    }

    public synchronized MigrationStats.Percentiles barrierLatency() {
        return MigrationStats.Percentiles.of(drain(barrierLatencyNs, barrierLatencyTotal));
    }

    public synchronized MigrationStats.Percentiles bitmapSync() {
        return MigrationStats.Percentiles.of(drain(bitmapSyncNs, bitmapSyncTotal));
    }

    private static Histogram drain(final Recorder recorder, final Histogram total) {
        total.add(recorder.getIntervalHistogram());
        return total;
    }
}
