package dev.ferry.engine;

import dev.ferry.engine.channel.Secret;
import dev.ferry.engine.source.SourceEngine;
import dev.ferry.engine.stats.MigrationStats;
import dev.ferry.memory.GuestMemory;

import java.net.InetSocketAddress;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
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
 * copies are the worst outcome.
 */
public final class MigrationSource {
    private final SourceEngine engine;

    private MigrationSource(final SourceEngine engine) {
        this.engine = engine;
    }

    /** Validates {@code context} and starts the migration on its own thread. */
    public static MigrationSource start(final Context context) {
        context.conclude();
        final SourceEngine engine = new SourceEngine(context);
        engine.start();
        return new MigrationSource(engine);
    }

    /** Completes when the migration ends, whatever the outcome (it is not completed exceptionally). */
    public CompletableFuture<MigrationResult> result() {
        return engine.result();
    }

    /** A live snapshot of the statistics. */
    /**
     * Writes the latency histograms recorded so far (packet write or apply latency, SYNC barrier latency, bitmap
     * harvest time; nanoseconds, tagged) to {@code out} as an HdrHistogram {@code .hlog}.
     */
    public void writeHistogramLog(final java.io.OutputStream out) {
        engine.writeHistogramLog(out);
    }

    public MigrationStats stats() {
        return engine.stats();
    }

    /**
     * Cancels at any moment: the destination is told and threads end. Before APPLIED the guest resumes; after it
     * (the destination holds every page) the outcome is {@code unknown} and the guest stays paused unless the
     * destination answers that it discarded its copy.
     */
    public void cancel() {
        cancel("cancelled by the embedder");
    }

    /** As {@link #cancel()}, with the reason the destination and the result will give. */
    public void cancel(final String reason) {
        engine.cancel(reason);
    }

    /** Configuration of a source, Aeron-style: fluent, validated once by {@link #conclude()}. */
    public static final class Context {
        private InetSocketAddress destination;
        private GuestMemory memory;
        private GuestControl guestControl = GuestControl.NONE;
        private int channels = 2;
        private Secret secret;
        private VerifyMode verify = VerifyMode.FULL;
        private int maxRounds = 30;
        private long switchoverDirtyBytes = 16L << 20;
        private Supplier<byte[]> deviceState;
        private int queueCapacity = 64;
        private long connectTimeoutMs = 10_000;
        private long barrierTimeoutMs = 60_000;
        private long appliedTimeoutMs = 120_000;
        private long resultTimeoutMs = 300_000;
        private int digestThreads = Math.max(1, Runtime.getRuntime().availableProcessors());

        public Context destination(final InetSocketAddress destination) {
            this.destination = destination;
            return this;
        }

        public InetSocketAddress destination() {
            return destination;
        }

        public Context memory(final GuestMemory memory) {
            this.memory = memory;
            return this;
        }

        public GuestMemory memory() {
            return memory;
        }

        public Context guestControl(final GuestControl guestControl) {
            this.guestControl = guestControl;
            return this;
        }

        public GuestControl guestControl() {
            return guestControl;
        }

        /** Data channels, 1..{@value dev.ferry.engine.protocol.Protocol#MAX_CHANNELS}; default 2. */
        public Context channels(final int channels) {
            this.channels = channels;
            return this;
        }

        public int channels() {
            return channels;
        }

        /** The shared secret, or {@link Secret#insecure()}; required. */
        public Context secret(final Secret secret) {
            this.secret = secret;
            return this;
        }

        public Secret secret() {
            return secret;
        }

        public Context verify(final VerifyMode verify) {
            this.verify = verify;
            return this;
        }

        public VerifyMode verify() {
            return verify;
        }

        /** Most rounds, the final one included; 1 is stop-and-copy. Default 30. */
        public Context maxRounds(final int maxRounds) {
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
            this.switchoverDirtyBytes = switchoverDirtyBytes;
            return this;
        }

        public long switchoverDirtyBytes() {
            return switchoverDirtyBytes;
        }

        /** Supplies the device state, called once with the guest paused after the final FLUSH; optional. */
        public Context deviceState(final Supplier<byte[]> deviceState) {
            this.deviceState = deviceState;
            return this;
        }

        public Supplier<byte[]> deviceState() {
            return deviceState;
        }

        /** Packets in flight per channel (a power of two); default 64. */
        public Context queueCapacity(final int queueCapacity) {
            this.queueCapacity = queueCapacity;
            return this;
        }

        public int queueCapacity() {
            return queueCapacity;
        }

        public Context connectTimeoutMs(final long connectTimeoutMs) {
            this.connectTimeoutMs = connectTimeoutMs;
            return this;
        }

        public long connectTimeoutMs() {
            return connectTimeoutMs;
        }

        /** Longest wait for every channel to write its SYNC; default 60 s. */
        public Context barrierTimeoutMs(final long barrierTimeoutMs) {
            this.barrierTimeoutMs = barrierTimeoutMs;
            return this;
        }

        public long barrierTimeoutMs() {
            return barrierTimeoutMs;
        }

        /** Longest wait for APPLIED after COMPLETE; default 120 s. */
        public Context appliedTimeoutMs(final long appliedTimeoutMs) {
            this.appliedTimeoutMs = appliedTimeoutMs;
            return this;
        }

        public long appliedTimeoutMs() {
            return appliedTimeoutMs;
        }

        /** Longest wait for RESULT after VERIFY; default 300 s. */
        public Context resultTimeoutMs(final long resultTimeoutMs) {
            this.resultTimeoutMs = resultTimeoutMs;
            return this;
        }

        public long resultTimeoutMs() {
            return resultTimeoutMs;
        }

        public Context digestThreads(final int digestThreads) {
            this.digestThreads = digestThreads;
            return this;
        }

        public int digestThreads() {
            return digestThreads;
        }

        /** Checks every value; throws a {@link FerryException} (CONFIGURATION) naming the first bad one. */
        public Context conclude() {
            require(null != destination, "destination address is not set");
            require(null != memory, "guest memory is not set");
            require(null != secret, "no secret: give a secret file, or say --insecure on both sides");
            Objects.requireNonNull(guestControl, "guestControl");
            Objects.requireNonNull(verify, "verify");
            require(channels >= 1 && channels <= dev.ferry.engine.protocol.Protocol.MAX_CHANNELS,
                "channels " + channels + " must be 1.." + dev.ferry.engine.protocol.Protocol.MAX_CHANNELS);
            require(memory.blocks().size() <= dev.ferry.engine.protocol.Protocol.MAX_BLOCKS,
                "a guest of " + memory.blocks().size() + " blocks exceeds " + dev.ferry.engine.protocol.Protocol.MAX_BLOCKS);
            require(maxRounds >= 1, "max rounds " + maxRounds + " must be >= 1");
            require(switchoverDirtyBytes >= -1, "switchover dirty bytes " + switchoverDirtyBytes + " must be >= -1");
            require(queueCapacity >= 4 && Integer.bitCount(queueCapacity) == 1,
                "queue capacity " + queueCapacity + " must be a power of two >= 4");
            require(connectTimeoutMs > 0 && barrierTimeoutMs > 0 && appliedTimeoutMs > 0 && resultTimeoutMs > 0,
                "timeouts must be positive");
            require(digestThreads >= 1, "digest threads " + digestThreads + " must be >= 1");
            return this;
        }

        static void require(final boolean condition, final String message) {
            if (!condition) {
                throw new FerryException(ErrorCode.CONFIGURATION, message);
            }
        }
    }
}
