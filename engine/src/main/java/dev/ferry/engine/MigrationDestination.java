package dev.ferry.engine;

import dev.ferry.engine.channel.ChannelDecorator;
import dev.ferry.engine.destination.DestinationConfig;
import dev.ferry.engine.destination.DestinationEngine;
import dev.ferry.engine.destination.DestinationHooks;
import dev.ferry.engine.destination.PageApplyListener;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The receiving side of a migration: listens, authenticates the source's connections, creates the guest's memory
 * from SETUP, applies pages in order behind the SYNC/FLUSH barrier, hands the device state over, answers APPLIED and
 * verifies. It serves one migration; connections that fail the handshake are dropped and counted, and it keeps
 * waiting for the real source.
 * <pre>{@code
 * MigrationDestination destination = MigrationDestination.start(new MigrationDestination.Context()
 *     .listen(new InetSocketAddress("0.0.0.0", 7000))
 *     .memoryFactory(MemoryFactory.file(Path.of("/dev/shm/guest.ram")))
 *     .secret(Secret.fromFile(Path.of("/etc/ferry/secret"))));
 * MigrationResult result = destination.result().join();
 * }</pre>
 * On failure the memory it created is closed and discarded (the file deleted) and the result says why.
 * {@link #close()} cancels a migration still running, waits for it to end and removes its counters file.
 */
public final class MigrationDestination extends Migration {
    private final DestinationEngine engine;

    private MigrationDestination(final DestinationEngine engine) {
        super(engine);
        this.engine = engine;
    }

    /** Validates {@code context}, binds the listening socket and starts accepting. */
    public static MigrationDestination start(final Context context) {
        return new MigrationDestination(listening(context, config -> new DestinationEngine(config, config.hooks())));
    }

    /** How a destination's engine is made from a concluded Context; it binds, and so may fail to. */
    interface Binding<T> {
        T bind(Context config) throws IOException;
    }

    /** Concludes {@code context} and makes what {@code binding} binds; a failure to bind is a CONFIGURATION error. */
    static <T> T listening(final Context context, final Binding<T> binding) {
        final Context config = context.conclude();
        try {
            return binding.bind(config);
        } catch (final IOException ex) {
            throw new FerryException(ErrorCode.CONFIGURATION, "cannot listen on " + context.listen() + ": " +
                ex.getMessage());
        }
    }

    /** The address actually bound (useful with port 0). */
    public SocketAddress localAddress() {
        return engine.localAddress();
    }

    /** Connections refused at the handshake so far. */
    public int rejectedConnections() {
        return engine.rejectedConnections();
    }

    /** Configuration of a destination, Aeron-style: fluent, validated once by {@link #conclude()}. */
    public static final class Context extends EngineContext<Context> implements DestinationConfig {
        private SocketAddress listen = new InetSocketAddress("127.0.0.1", 0);
        private MemoryFactory memoryFactory = MemoryFactory.anonymous();
        private Function<String, MemoryFactory> memoryFor;
        private Consumer<byte[]> deviceStateConsumer;
        private Consumer<String> warnings = message -> System.err.println("ferry: warning: " + message);
        private long handshakeTimeoutMs = 10_000;
        private long firstBytesTimeoutMs = 2_000;
        private long verifyTimeoutMs = 300_000;
        private long idleTimeoutMs = 60_000;
        private int maxPendingHandshakes = 16;
        private DestinationHooks hooks = DestinationHooks.NONE;

        /**
         * Where to listen: an {@code InetSocketAddress} (default 127.0.0.1, any free port), or a
         * {@code UnixDomainSocketAddress}: its file is created owner-only ({@code rw-------}) and removed when the
         * destination closes; an existing file is refused, not replaced.
         */
        public Context listen(final SocketAddress listen) {
            mutable();
            this.listen = listen;
            return this;
        }

        public SocketAddress listen() {
            return listen;
        }

        public Context memoryFactory(final MemoryFactory memoryFactory) {

            mutable();
            this.memoryFactory = memoryFactory;
            return this;
        }

        public MemoryFactory memoryFactory() {
            return memoryFactory;
        }

        /**
         * Decides, by the name the source gives its guest, where the guest goes: the factory for that guest, or null
         * to refuse it (the source is told that this destination takes no guest of that name). Default: every guest
         * to {@link #memoryFactory()}. {@link MemoryFactory#inDirectory} puts each in a file of its name.
         */
        public Context memoryFor(final Function<String, MemoryFactory> memoryFor) {
            mutable();
            this.memoryFor = memoryFor;
            return this;
        }

        @Override
        public Function<String, MemoryFactory> memoryFor() {
            final MemoryFactory fixed = memoryFactory;
            return null != memoryFor ? memoryFor : name -> fixed;
        }

        /** Receives the device state before APPLIED is sent (empty array if the source sent none); optional. */
        public Context deviceStateConsumer(final Consumer<byte[]> deviceStateConsumer) {
            mutable();
            this.deviceStateConsumer = deviceStateConsumer;
            return this;
        }

        public Consumer<byte[]> deviceStateConsumer() {
            return deviceStateConsumer;
        }

        /** Where non-fatal events go (a refused stray connection); default standard error. */
        public Context warnings(final Consumer<String> warnings) {
            mutable();
            this.warnings = warnings;
            return this;
        }

        public Consumer<String> warnings() {
            return warnings;
        }

        public Context handshakeTimeoutMs(final long handshakeTimeoutMs) {

            mutable();
            this.handshakeTimeoutMs = handshakeTimeoutMs;
            return this;
        }

        public long handshakeTimeoutMs() {
            return handshakeTimeoutMs;
        }

        /**
         * Longest wait for a new connection's first message (HELLO); default 2 s. A real source sends it at once, so
         * a connection that stays silent is cut long before the full handshake deadline frees its slot.
         */
        public Context firstBytesTimeoutMs(final long firstBytesTimeoutMs) {
            mutable();
            this.firstBytesTimeoutMs = firstBytesTimeoutMs;
            return this;
        }

        public long firstBytesTimeoutMs() {
            return firstBytesTimeoutMs;
        }

        /** Longest wait for VERIFY after APPLIED; default 300 s. */
        public Context verifyTimeoutMs(final long verifyTimeoutMs) {
            mutable();
            this.verifyTimeoutMs = verifyTimeoutMs;
            return this;
        }

        public long verifyTimeoutMs() {
            return verifyTimeoutMs;
        }

        /** Fail when nothing at all arrives from the source for this long (a vanished host); default 60 s. */
        public Context idleTimeoutMs(final long idleTimeoutMs) {
            mutable();
            this.idleTimeoutMs = idleTimeoutMs;
            return this;
        }

        public long idleTimeoutMs() {
            return idleTimeoutMs;
        }

        public Context maxPendingHandshakes(final int maxPendingHandshakes) {

            mutable();
            this.maxPendingHandshakes = maxPendingHandshakes;
            return this;
        }

        public int maxPendingHandshakes() {
            return maxPendingHandshakes;
        }

        /** Test hook, not API: told of every normal page applied. */
        Context pageApplyListener(final PageApplyListener pageApplyListener) {
            mutable();
            hooks = hooks.pageApplyListener(pageApplyListener);
            return this;
        }

        /** Test hook, not API: wraps each data channel's input (to delay, fragment or cut it). */
        Context channelDecorator(final ChannelDecorator channelDecorator) {
            mutable();
            hooks = hooks.channelDecorator(channelDecorator);
            return this;
        }

        /**
         * Test hook, not API, never in production: with {@code false} channels do not stop at SYNC, so pages of the
         * next round may be applied before older copies still in flight on another channel. It exists to prove the
         * ordering test can fail.
         */
        Context holdAtSync(final boolean hold) {
            mutable();
            hooks = hooks.holdAtSync(hold);
            return this;
        }

        /** The test hooks set on this Context: handed to the engine beside it, not inside it. */
        DestinationHooks hooks() {
            return hooks;
        }

        @Override
        void concludeSide() {
            Contexts.require(null != listen, "listen address is not set");
            Objects.requireNonNull(memoryFactory, "memoryFactory");
            Objects.requireNonNull(warnings, "warnings");
            Contexts.require(handshakeTimeoutMs > 0 && verifyTimeoutMs > 0 && idleTimeoutMs > 0 && firstBytesTimeoutMs > 0,
                "timeouts must be positive");
            Contexts.require(maxPendingHandshakes >= 1,
                "max pending handshakes " + maxPendingHandshakes + " must be >= 1");
        }
    }
}
