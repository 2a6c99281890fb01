package dev.ferry.engine;

import dev.ferry.engine.codec.PageCodec;
import dev.ferry.engine.protocol.Protocol;
import dev.ferry.engine.source.SourceConfig;
import dev.ferry.engine.source.SourceEngine;
import dev.ferry.engine.stats.Counters;
import dev.ferry.memory.GuestMemory;

import java.net.SocketAddress;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * The sending side of a migration: connects to a {@link MigrationDestination}, sends the guest's memory over
 * several channels round by round, switches over and verifies.
 * <pre>{@code
 * MigrationSource source = MigrationSource.start(new MigrationSource.Context()
 *     .destination(new InetSocketAddress("10.0.0.2", 7000))
 *     .memory(guestMemory)
 *     .guestControl(vcpus)
 *     .channels(4)
 *     .secret(Secret.fromFile(Path.of("/etc/ferry/secret"))));
 * MigrationResult result = source.result().join();
 * }</pre>
 * After a verified completion the guest stays paused: it now lives on the destination. After a failure or cancel
 * before APPLIED it is resumed. After APPLIED, any end other than a verified RESULT, or the destination saying it
 * discarded its copy, is {@code unknown} and the guest is left paused: the embedder decides, since two running
 * copies are the worst outcome. {@link #close()} cancels a migration still running, waits for it to end and removes
 * its counters file.
 */
public final class MigrationSource extends Migration {
    private final SourceEngine engine;

    private MigrationSource(final SourceEngine engine) {
        super(engine);
        this.engine = engine;
    }

    /** Validates {@code context} and starts the migration on its own thread. */
    public static MigrationSource start(final Context context) {
        return new MigrationSource(new SourceEngine(context.conclude()));
    }

    /** Starts a migration whose {@code context} the caller has concluded, publishing in a runtime's counters. */
    static MigrationSource startConcluded(final Context context, final Counters counters) {
        return new MigrationSource(new SourceEngine(context, counters));
    }

    /** Changes the downtime limit from the next round on: {@link Context#downtimeLimitMs(long)}, live. */
    public void downtimeLimitMs(final long limitMs) {
        engine.downtimeLimitMs(limitMs);
    }

    /** As {@link #downtimeLimitMs(long)}, with a {@link Duration}. */
    public void downtimeLimit(final Duration limit) {
        downtimeLimitMs(limit.toMillis());
    }

    /**
     * Changes the bandwidth cap, bytes per second across all channels (0 lifts it): the live form of
     * {@link Context#maxBandwidthBytesPerSec(long)}; waiting senders go at once if it is raised.
     */
    public void maxBandwidthBytesPerSec(final long bytesPerSec) {
        engine.maxBandwidth(bytesPerSec);
    }

    /** The name {@link #maxBandwidthBytesPerSec(long)} had before: kept, and the same method. */
    public void maxBandwidth(final long bytesPerSecond) {
        maxBandwidthBytesPerSec(bytesPerSecond);
    }

    /**
     * Forces a switchover now, whatever the downtime: the current round ends early and the guest is paused for the
     * final round (an operator's last resort). Without effect once the guest is paused.
     */
    public void forceSwitchover() {
        engine.forceSwitchover();
    }

    /** Configuration of a source, Aeron-style: fluent, validated once by {@link #conclude()}. */
    public static final class Context extends EngineContext<Context> implements SourceConfig {
        private SocketAddress destination;
        private String name = "guest";
        private BandwidthBudget bandwidthBudget;
        private int bandwidthWeight = 1;
        private GuestMemory memory;
        private GuestControl guestControl = GuestControl.NONE;
        private int channels = 2;
        private int maxRounds;
        private long switchoverDirtyBytes = 16L << 20;
        private long downtimeLimitMs = 300;
        private boolean autoConverge = true;
        private long maxBandwidthBytesPerSec;
        private Compression compression = Compression.NONE;
        private Integer compressionLevel;
        private long timeoutMs = 600_000;
        private Supplier<byte[]> deviceState;
        private int queueCapacity = 64;
        private long connectTimeoutMs = 10_000;
        private long appliedTimeoutMs = 120_000;
        private long resultTimeoutMs = 300_000;

        /**
         * Where the destination listens: an {@code InetSocketAddress}, or a {@code UnixDomainSocketAddress} for a
         * migration between two processes of one host (an in-place upgrade).
         */
        public Context destination(final SocketAddress destination) {
            mutable();
            this.destination = destination;
            return this;
        }

        public SocketAddress destination() {
            return destination;
        }

        /**
         * The guest's name, which the destination places it by (by default a file of that name in its directory);
         * {@link GuestName}'s rules; default "guest".
         */
        public Context name(final String name) {
            mutable();
            this.name = name;
            return this;
        }

        @Override
        public String name() {
            return name;
        }

        public Context memory(final GuestMemory memory) {
            mutable();
            this.memory = memory;
            return this;
        }

        public GuestMemory memory() {
            return memory;
        }

        public Context guestControl(final GuestControl guestControl) {
            mutable();
            this.guestControl = guestControl;
            return this;
        }

        public GuestControl guestControl() {
            return guestControl;
        }

        /** Data channels, 1..{@value dev.ferry.engine.protocol.Protocol#MAX_CHANNELS}; default 2. */
        public Context channels(final int channels) {
            mutable();
            this.channels = channels;
            return this;
        }

        public int channels() {
            return channels;
        }

        /**
         * Most rounds, the final one included; reaching it switches over whatever the downtime limit. 1 is
         * stop-and-copy; 0 (the default) is no limit.
         */
        public Context maxRounds(final int maxRounds) {
            mutable();
            this.maxRounds = maxRounds;
            return this;
        }

        public int maxRounds() {
            return maxRounds;
        }

        /**
         * Switch over once the dirty set after a round is at most this; default 16 MiB. -1: never before
         * {@link #maxRounds(int)} rounds.
         */
        public Context switchoverDirtyBytes(final long switchoverDirtyBytes) {
            mutable();
            this.switchoverDirtyBytes = switchoverDirtyBytes;
            return this;
        }

        public long switchoverDirtyBytes() {
            return switchoverDirtyBytes;
        }

        /**
         * Switch over once the dirty set, at the measured bandwidth, fits this downtime (default 300 ms); one more
         * round is taken when it is predicted to halve the downtime and the dirty set still shrinks. 0 turns this
         * rule off (tests that need a fixed number of rounds).
         */
        public Context downtimeLimitMs(final long downtimeLimitMs) {
            mutable();
            this.downtimeLimitMs = downtimeLimitMs;
            return this;
        }

        public long downtimeLimitMs() {
            return downtimeLimitMs;
        }

        /**
         * Auto-converge (default on): when the guest dirties memory faster than the channels send it, throttle it
         * through {@link GuestControl#throttle(int)}, as much as the measured rates call for, corrected each round.
         */
        public Context autoConverge(final boolean autoConverge) {
            mutable();
            this.autoConverge = autoConverge;
            return this;
        }

        public boolean autoConverge() {
            return autoConverge;
        }

        /** Cap across all data channels, bytes per second; 0 (the default) is unlimited. */
        public Context maxBandwidthBytesPerSec(final long maxBandwidthBytesPerSec) {
            mutable();
            this.maxBandwidthBytesPerSec = maxBandwidthBytesPerSec;
            return this;
        }

        public long maxBandwidthBytesPerSec() {
            return maxBandwidthBytesPerSec;
        }

        /**
         * A bandwidth cap this migration shares with the others given the same budget, each getting a share by
         * its weight; its own {@link #maxBandwidthBytesPerSec(long)} still applies when lower. Default: none.
         */
        public Context bandwidthBudget(final BandwidthBudget bandwidthBudget) {
            mutable();
            this.bandwidthBudget = bandwidthBudget;
            return this;
        }

        @Override
        public BandwidthBudget bandwidthBudget() {
            return bandwidthBudget;
        }

        /** This migration's weight in its budget's shares, 1..1000; default 1 (an equal share). */
        public Context bandwidthWeight(final int bandwidthWeight) {
            mutable();
            this.bandwidthWeight = bandwidthWeight;
            return this;
        }

        @Override
        public int bandwidthWeight() {
            return bandwidthWeight;
        }

        /**
         * How normal pages travel (default {@link Compression#NONE}: zero copy). Compression pays only when the
         * network, not the CPU, is the bottleneck: docs/benchmarks.md has the figures.
         */
        public Context compression(final Compression compression) {
            mutable();
            this.compression = compression;
            return this;
        }

        public Compression compression() {
            return compression;
        }

        /**
         * The codec's level (zstd -7..19, zlib 1..9); null (the default) for the codec's default, 1 for both. Lower
         * is faster and compresses less; docs/benchmarks.md measures zstd at 1 and -3.
         */
        public Context compressionLevel(final Integer compressionLevel) {
            mutable();
            this.compressionLevel = compressionLevel;
            return this;
        }

        public Integer compressionLevel() {
            return compressionLevel;
        }

        /** The codec's level: the one given, or the codec's default. */
        @Override
        public int effectiveCompressionLevel() {
            return null == compressionLevel ? compression.defaultLevel() : compressionLevel;
        }

        /**
         * A migration not switched over and applied by then fails with {@code NOT_CONVERGED} and the guest runs on,
         * unthrottled; default 10 minutes.
         */
        public Context timeoutMs(final long timeoutMs) {
            mutable();
            this.timeoutMs = timeoutMs;
            return this;
        }

        public long timeoutMs() {
            return timeoutMs;
        }

        /** Supplies the device state, called once with the guest paused after the final FLUSH; optional. */
        public Context deviceState(final Supplier<byte[]> deviceState) {
            mutable();
            this.deviceState = deviceState;
            return this;
        }

        public Supplier<byte[]> deviceState() {
            return deviceState;
        }

        /** Packets in flight per channel (a power of two); default 64. */
        public Context queueCapacity(final int queueCapacity) {
            mutable();
            this.queueCapacity = queueCapacity;
            return this;
        }

        public int queueCapacity() {
            return queueCapacity;
        }

        public Context connectTimeoutMs(final long connectTimeoutMs) {
            mutable();
            this.connectTimeoutMs = connectTimeoutMs;
            return this;
        }

        public long connectTimeoutMs() {
            return connectTimeoutMs;
        }

        /**
         * Longest wait for SETUP-ACK, and the most the paused source waits for APPLIED after COMPLETE; default 120 s.
         * The APPLIED wait is also bounded by the planned downtime plus a margin (ten times it, at least 5 s): the
         * guest is paused meanwhile.
         */
        public Context appliedTimeoutMs(final long appliedTimeoutMs) {
            mutable();
            this.appliedTimeoutMs = appliedTimeoutMs;
            return this;
        }

        public long appliedTimeoutMs() {
            return appliedTimeoutMs;
        }

        /** Longest wait for RESULT after VERIFY; default 300 s. */
        public Context resultTimeoutMs(final long resultTimeoutMs) {
            mutable();
            this.resultTimeoutMs = resultTimeoutMs;
            return this;
        }

        public long resultTimeoutMs() {
            return resultTimeoutMs;
        }

        @Override
        void concludeSide() {
            GuestName.require(name);
            require(bandwidthWeight >= 1 && bandwidthWeight <= 1000, "bandwidth weight " + bandwidthWeight +
                " must be 1..1000");
            require(null != destination, "destination address is not set");
            require(null != memory, "guest memory is not set");
            Objects.requireNonNull(guestControl, "guestControl");
            require(channels >= 1 && channels <= Protocol.MAX_CHANNELS,
                "channels " + channels + " must be 1.." + Protocol.MAX_CHANNELS);
            require(memory.blocks().size() <= Protocol.MAX_BLOCKS,
                "a guest of " + memory.blocks().size() + " blocks exceeds " + Protocol.MAX_BLOCKS);
            require(maxRounds >= 0, "max rounds " + maxRounds + " must be >= 0 (0: no limit)");
            require(downtimeLimitMs >= 0, "downtime limit " + downtimeLimitMs + " ms must be >= 0");
            require(maxBandwidthBytesPerSec >= 0, "bandwidth cap " + maxBandwidthBytesPerSec + " must be >= 0");
            require(timeoutMs > 0, "timeout " + timeoutMs + " ms must be positive");
            require(switchoverDirtyBytes >= -1, "switchover dirty bytes " + switchoverDirtyBytes + " must be >= -1");
            require(queueCapacity >= 4 && Integer.bitCount(queueCapacity) == 1,
                "queue capacity " + queueCapacity + " must be a power of two >= 4");
            require(connectTimeoutMs > 0 && appliedTimeoutMs > 0 && resultTimeoutMs > 0, "timeouts must be positive");
            Objects.requireNonNull(compression, "compression");
            require(null == compressionLevel || compression != Compression.NONE,
                "compression level " + compressionLevel + " needs a codec (--compress, or --compression, zstd or zlib)");
            require(compression.acceptsLevel(effectiveCompressionLevel()), "compression level " + compressionLevel + " must be " +
                compression.levels() + " for " + compression.cliName());
            if (compression != Compression.NONE) {
                PageCodec.create(compression, effectiveCompressionLevel()).close();
            }
        }

        private static void require(final boolean condition, final String message) {
            Contexts.require(condition, message);
        }
    }
}
