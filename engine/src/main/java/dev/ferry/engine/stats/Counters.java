package dev.ferry.engine.stats;

import dev.ferry.engine.CompressionStats;
import dev.ferry.engine.ConvergenceStats;
import dev.ferry.engine.MigrationStats;
import org.agrona.concurrent.status.AtomicCounter;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The live counters of one side of a migration, in a {@link CountersFile} that other processes can read. Each
 * counter has one writer: the conductor for the migration's state, one channel's thread for that channel's slots,
 * and {@link #refresh} (the engine's periodic task, then the conductor once at the end) for the aggregates. Writes
 * are release stores, never contended read-modify-writes; any thread may take a {@link #snapshot}. The JSON, the
 * progress line, the API's {@code stats()} and {@code ferry stat} all read these same counters.
 */
public final class Counters implements AutoCloseable {
    /** Counters every side has, made with these counters (the constructor makes each of them). */
    private static final int FIXED_COUNTERS = CounterDescriptor.count(CounterDescriptor.Scope.EVERY_SIDE);
    /** How often each side publishes its headline counters while it runs. */
    public static final long LIVE_REFRESH_MS = 100;
    /** Room for counters a side {@link #allocate allocates} itself: refused connections, or the source's limits. */
    private static final int EXTRA_COUNTERS = Math.max(CounterDescriptor.count(CounterDescriptor.Scope.SOURCE),
        CounterDescriptor.count(CounterDescriptor.Scope.DESTINATION));
    /** Per-channel counters: bytes, normal pages, zero pages, page bytes, payload bytes, codec time. */
    private static final int PER_CHANNEL = CounterDescriptor.count(CounterDescriptor.Scope.PER_CHANNEL);

    private final CounterSpace space;
    private final LatencyHistograms latency = new LatencyHistograms();
    private volatile long startNs = System.nanoTime();
    private final AtomicCounter status;
    private final AtomicCounter totalTimeMs;
    private final AtomicCounter setupTimeMs;
    private final AtomicCounter transferTimeMs;
    private final AtomicCounter downtimeMs;
    private final AtomicCounter expectedDowntimeMs;
    private final AtomicCounter verifyTimeMs;
    private final AtomicCounter transferredBytes;
    private final AtomicCounter remainingBytes;
    private final AtomicCounter totalBytes;
    private final AtomicCounter normalPages;
    private final AtomicCounter zeroPages;
    private final AtomicCounter rounds;
    private final AtomicCounter dirtyPagesRate;
    private final AtomicCounter throttlePercent;
    private final AtomicCounter channels;
    private final AtomicCounter mainChannelBytes;
    private volatile ChannelCounters[] perChannel = new ChannelCounters[0];
    private volatile long endNs;
    private long transferStartNs;
    private AtomicCounter rejectedConnections;
    private volatile String compression = "none";
    private volatile String guest;

    /** One data channel's counters; written only by that channel's thread. */
    public static final class ChannelCounters {
        private final AtomicCounter bytes;
        private final AtomicCounter normalPages;
        private final AtomicCounter zeroPages;
        private final AtomicCounter pageBytes;
        private final AtomicCounter payloadBytes;
        private final AtomicCounter codecNanos;

        ChannelCounters(final Counters counters, final int channel) {
            this.bytes = counters.counter(CounterDescriptor.CHANNEL_BYTES, channel);
            this.normalPages = counters.counter(CounterDescriptor.CHANNEL_NORMAL_PAGES, channel);
            this.zeroPages = counters.counter(CounterDescriptor.CHANNEL_ZERO_PAGES, channel);
            this.pageBytes = counters.counter(CounterDescriptor.CHANNEL_PAGE_BYTES, channel);
            this.payloadBytes = counters.counter(CounterDescriptor.CHANNEL_PAYLOAD_BYTES, channel);
            this.codecNanos = counters.counter(CounterDescriptor.CHANNEL_CODEC_NANOS, channel);
        }

        /** Adds one packet's compression figures (only when the migration compresses); allocation-free. */
        public void addPayload(final long pages, final long payload, final long nanos) {
            pageBytes.setRelease(pageBytes.getPlain() + pages);
            payloadBytes.setRelease(payloadBytes.getPlain() + payload);
            codecNanos.setRelease(codecNanos.getPlain() + nanos);
        }

        /** Adds one packet's figures; allocation-free. */
        public void add(final long packetBytes, final int normal, final int zero) {
            bytes.setRelease(bytes.getPlain() + packetBytes);
            normalPages.setRelease(normalPages.getPlain() + normal);
            zeroPages.setRelease(zeroPages.getPlain() + zero);
        }

        public long bytes() {
            return bytes.get();
        }
    }

    /**
     * Counters for {@code role} with room for {@code maxChannels} data channels, published in {@code storage}, which
     * these counters own from now on.
     */
    public Counters(final CountersFile storage) {
        this(CounterSpace.own(storage));
    }

    /** Counters allocated in {@code space}: a file of their own, or their part of a runtime's. */
    Counters(final CounterSpace space) {
        this.space = space;
        this.status = counter(CounterDescriptor.STATUS, -1);
        this.totalTimeMs = counter(CounterDescriptor.TOTAL_TIME_MS, -1);
        this.setupTimeMs = counter(CounterDescriptor.SETUP_TIME_MS, -1);
        this.transferTimeMs = counter(CounterDescriptor.TRANSFER_TIME_MS, -1);
        this.downtimeMs = counter(CounterDescriptor.DOWNTIME_MS, -1);
        this.expectedDowntimeMs = counter(CounterDescriptor.EXPECTED_DOWNTIME_MS, -1);
        this.verifyTimeMs = counter(CounterDescriptor.VERIFY_TIME_MS, -1);
        this.transferredBytes = counter(CounterDescriptor.TRANSFERRED_BYTES, -1);
        this.remainingBytes = counter(CounterDescriptor.REMAINING_BYTES, -1);
        this.totalBytes = counter(CounterDescriptor.TOTAL_BYTES, -1);
        this.normalPages = counter(CounterDescriptor.NORMAL_PAGES, -1);
        this.zeroPages = counter(CounterDescriptor.ZERO_PAGES, -1);
        this.rounds = counter(CounterDescriptor.ROUNDS, -1);
        this.dirtyPagesRate = counter(CounterDescriptor.DIRTY_PAGES_RATE, -1);
        this.throttlePercent = counter(CounterDescriptor.THROTTLE_PERCENT, -1);
        this.channels = counter(CounterDescriptor.CHANNELS, -1);
        this.mainChannelBytes = counter(CounterDescriptor.MAIN_CHANNEL_BYTES, -1);
        downtimeMs.setRelease(-1);
        verifyTimeMs.setRelease(-1);
        transferTimeMs.setRelease(-1);
    }

    /** How many counters a side with {@code maxChannels} channels needs: the size of its {@link CountersFile}. */
    public static int capacity(final int maxChannels) {
        return FIXED_COUNTERS + PER_CHANNEL * maxChannels + EXTRA_COUNTERS;
    }

    private AtomicCounter counter(final CounterDescriptor descriptor, final int channel) {
        return space.allocate(channel < 0 ? descriptor.label() : descriptor.label(channel), descriptor.typeId());
    }

    /** The destination's count of connections refused at the handshake, made on first use. */
    public synchronized AtomicCounter rejectedConnections() {
        if (null == rejectedConnections) {
            rejectedConnections = allocate(CounterDescriptor.REJECTED_CONNECTIONS);
        }
        return rejectedConnections;
    }

    /** An extra counter of {@code descriptor} (say, the source's limits). */
    public AtomicCounter allocate(final CounterDescriptor descriptor) {
        return counter(descriptor, -1);
    }

    /** Creates the per-channel counters; called once by the conductor before any channel thread runs. */
    public void channels(final int count) {
        final ChannelCounters[] created = new ChannelCounters[count];
        for (int c = 0; c < count; c++) {
            created[c] = new ChannelCounters(this, c);
        }
        channels.setRelease(count);
        perChannel = created;
    }

    public ChannelCounters channel(final int channel) {
        return perChannel[channel];
    }

    /** The guest's name, for the JSON and the report (unknown on a destination until SETUP). */
    public void guest(final String name) {
        this.guest = name;
        space.guest(name);
    }

    /** The migration's codec, for the JSON ({@code none} until SETUP says otherwise). */
    public void compression(final String name) {
        compression = name;
    }

    private CompressionStats compressionStats() {
        long pages = 0;
        long payload = 0;
        long nanos = 0;
        for (final ChannelCounters channel : perChannel) {
            pages += channel.pageBytes.get();
            payload += channel.payloadBytes.get();
            nanos += channel.codecNanos.get();
        }
        return new CompressionStats(compression, pages, payload, TimeUnit.NANOSECONDS.toMillis(nanos));
    }

    /** Bytes moved, as last published (every {@link #LIVE_REFRESH_MS} while it runs, and at its end). */
    public long transferred() {
        return transferredBytes.get();
    }

    public LatencyHistograms latency() {
        return latency;
    }

    public void status(final int ordinal) {
        status.setRelease(ordinal);
    }

    /** Setup is over: pages may move from now on, and the transfer's clock starts. */
    public void setupDone() {
        transferStartNs = System.nanoTime();
        setupTimeMs.setRelease(TimeUnit.NANOSECONDS.toMillis(transferStartNs - startNs));
    }

    /** Every page is applied (APPLIED): the transfer's clock stops. */
    public void transferDone() {
        transferTimeMs.setRelease(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - transferStartNs));
    }

    public void downtimeMs(final long ms) {
        downtimeMs.setRelease(ms);
    }

    public long downtimeMs() {
        return downtimeMs.get();
    }

    public void verifyTimeMs(final long ms) {
        verifyTimeMs.setRelease(ms);
    }

    public void expectedDowntimeMs(final long ms) {
        expectedDowntimeMs.setRelease(ms);
    }

    public long expectedDowntimeMs() {
        return expectedDowntimeMs.get();
    }

    public void remainingBytes(final long bytes) {
        remainingBytes.setRelease(bytes);
    }

    public long remainingBytes() {
        return remainingBytes.get();
    }

    public void totalBytes(final long bytes) {
        totalBytes.setRelease(bytes);
    }

    public void rounds(final long count) {
        rounds.setRelease(count);
    }

    public long rounds() {
        return rounds.get();
    }

    public void dirtyPagesRate(final long pagesPerSecond) {
        dirtyPagesRate.setRelease(pagesPerSecond);
    }

    public void throttlePercent(final long percent) {
        throttlePercent.setRelease(percent);
    }

    public long normalPages() {
        long sum = 0;
        for (final ChannelCounters channel : perChannel) {
            sum += channel.normalPages.get();
        }
        return sum;
    }

    public long zeroPages() {
        long sum = 0;
        for (final ChannelCounters channel : perChannel) {
            sum += channel.zeroPages.get();
        }
        return sum;
    }

    /** Every byte on every data channel. */
    public long channelBytes() {
        long sum = 0;
        for (final ChannelCounters channel : perChannel) {
            sum += channel.bytes.get();
        }
        return sum;
    }

    /**
     * Publishes the aggregates while the migration runs (each side's watchdog, every {@link #LIVE_REFRESH_MS}), so
     * that {@code ferry stat} shows the headline figures moving mid-round, not only per-channel bytes. Nothing once
     * the clock has stopped: the conductor's final {@link #refresh} is the last word.
     */
    public synchronized void refreshLive(final long mainBytes) {
        if (endNs == 0) {
            refresh(mainBytes);
        }
    }

    /** Publishes the aggregates for readers in other processes; {@code mainBytes} is the main channel's count. */
    public synchronized void refresh(final long mainBytes) {
        mainChannelBytes.setRelease(mainBytes);
        transferredBytes.setRelease(mainBytes + channelBytes());
        normalPages.setRelease(normalPages());
        zeroPages.setRelease(zeroPages());
        totalTimeMs.setRelease(TimeUnit.NANOSECONDS.toMillis(elapsedNs()));
    }

    /** Stops the clock: total time is measured to here. */
    public synchronized void end() {
        endNs = System.nanoTime();
    }

    private long elapsedNs() {
        final long end = endNs;
        return Math.max(1, (end != 0 ? end : System.nanoTime()) - startNs);
    }

    /** Starts the clock again: the migration begins now (the destination: when its source's SETUP arrives). */
    public void startClock() {
        startNs = System.nanoTime();
    }

    /**
     * An immutable snapshot for the JSON, the report and the API.
     *
     * @param role       "source" or "destination".
     * @param statusName the status's JSON name.
     * @param mainBytes  bytes on the main channel.
     * @param verified   whether both sides' digests matched.
     * @param error      why it failed, or null.
     * @param errorCode  the error code's name, or null.
     * @param convergence the source's convergence figures, or null on the destination.
     */
    public MigrationStats snapshot(final String role, final String statusName, final long mainBytes,
        final boolean verified, final String error, final String errorCode, final ConvergenceStats convergence) {
        final long totalNs = elapsedNs();
        final List<Long> channelBytes = new ArrayList<>();
        long transferred = mainBytes;
        for (final ChannelCounters channel : perChannel) {
            channelBytes.add(channel.bytes());
            transferred += channel.bytes();
        }
        return new MigrationStats(role, statusName, TimeUnit.NANOSECONDS.toMillis(totalNs), setupTimeMs.get(),
            transferTimeMs.get(), downtimeMs.get(), expectedDowntimeMs.get(), verifyTimeMs.get(), transferred,
            remainingBytes.get(), (long)(transferred * 1e9 / totalNs), totalBytes.get(), normalPages(), zeroPages(), rounds.get(),
            dirtyPagesRate.get(), throttlePercent.get(), (int)channels.get(), channelBytes, latency.packetLatency(),
            latency.barrierLatency(), latency.bitmapSync(), verified, error, errorCode, convergence,
            null == rejectedConnections ? -1 : rejectedConnections.get(), compressionStats(), guest);
    }

    /** Removes the counters file, or frees these counters' part of a runtime's (the migration is over). */
    @Override
    public void close() {
        space.close(this);
    }

    /**
     * Closes these counters once the migration that {@code end} completes has ended: if it still runs, {@code cancel}
     * first, then waits up to {@code waitMs}. Counters of a migration that does not end in time stay mapped (a reader
     * may still use them) and the method returns.
     */
    public void closeWhenEnded(final CompletableFuture<?> end, final Runnable cancel, final long waitMs) {
        if (!end.isDone()) {
            cancel.run();
        }
        try {
            end.get(waitMs, TimeUnit.MILLISECONDS);
        } catch (final InterruptedException ex) {
            Thread.currentThread().interrupt();
            return;
        } catch (final TimeoutException | ExecutionException ex) {
            return;
        }
        close();
    }
}
