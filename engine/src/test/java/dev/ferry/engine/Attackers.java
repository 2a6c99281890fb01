package dev.ferry.engine;

import dev.ferry.engine.channel.Handshake;
import dev.ferry.engine.protocol.HandshakeFlyweight;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

/**
 * Attackers who know no secret and connect from any loopback address (the source's own included): each holds its
 * connections open and reopens one as soon as the destination cuts it, so every displacement is answered at once.
 */
final class Attackers implements AutoCloseable {
    /** What the attacker sends on each connection. */
    enum Kind {
        /** 16 connections: a valid HELLO (or, one in three, its first half), then nothing. */
        STALLED_HELLO,
        /** 16 connections: a whole valid HELLO each, then nothing: all have spoken, the old rule's worst case. */
        WHOLE_HELLO,
        /** 16 connections: a valid HELLO one byte every 1.5 s. */
        TRICKLE,
        /** 1,000 connections per second, each sending HTTP garbage and closing. */
        GARBAGE,
        /** Connections that send nothing at all. */
        IDLE
    }

    static final int HELD = 16;
    static final long TRICKLE_PERIOD_NS = 1_500_000_000L;
    private static final byte[] GARBAGE = "GET / HTTP/1.1\r\nHost: x\r\n\r\n".repeat(4).getBytes(StandardCharsets.US_ASCII);

    private final int held;
    private final Kind kind;
    private final SocketAddress target;
    private final InetSocketAddress from;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final Thread thread;
    private volatile long opened;
    private volatile long cut;
    private volatile Throwable failure;

    /** Attacks {@code target} from {@code from} (a loopback address, port 0). */
    Attackers(final Kind kind, final SocketAddress target, final String from) {
        this(kind, target, from, HELD);
    }

    /** As above, holding {@code held} connections. */
    Attackers(final Kind kind, final SocketAddress target, final String from, final int held) {
        this.held = held;
        this.kind = kind;
        this.target = target;
        this.from = new InetSocketAddress(from, 0);
        this.thread = new Thread(this::run, "test-attacker-" + kind);
        thread.setDaemon(true);
        thread.start();
    }

    long opened() {
        return opened;
    }

    long cut() {
        return cut;
    }

    /** Waits until the attack is under way: {@code count} connections made (bounded by {@code timeoutMs}). */
    Attackers awaitOpened(final long count, final long timeoutMs) throws InterruptedException {
        final long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
        while (opened < count && System.nanoTime() - deadline < 0) {
            Thread.sleep(2);
        }
        if (opened < count) {
            throw new AssertionError("the attack did not start: " + opened + " connections in " + timeoutMs + " ms" +
                (null == failure ? "" : ": " + failure));
        }
        return this;
    }

    private SocketChannel open() throws IOException {
        final SocketChannel socket = SocketChannel.open();
        try {
            socket.bind(from);
            socket.connect(target);
        } catch (final IOException ex) {
            socket.close();
            throw ex;
        }
        opened++;
        return socket;
    }

    private static byte[] hello(final int kind) {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[HandshakeFlyweight.HELLO_LENGTH]);
        HandshakeFlyweight.encodeHello(buffer, kind, false, 0, 2, Handshake.newSessionId(), new byte[32]);
        return buffer.byteArray();
    }

    private void run() {
        try {
            if (kind == Kind.GARBAGE) {
                flood();
            } else {
                hold();
            }
        } catch (final IOException | RuntimeException ex) {
            if (running.get()) {
                failure = ex;
            }
        }
    }

    /** One thousand garbage connections per second, paced to the clock. */
    private void flood() throws IOException {
        final ByteBuffer garbage = ByteBuffer.wrap(GARBAGE);
        final long startNs = System.nanoTime();
        for (long i = 0; running.get(); i++) {
            final long aheadNs = startNs + i * 1_000_000L - System.nanoTime();
            if (aheadNs > 0) {
                LockSupport.parkNanos(aheadNs);
            }
            try (SocketChannel socket = open()) {
                socket.write(garbage.clear());
            } catch (final IOException ex) {
                cut++;
            }
        }
    }

    /** One held connection: what it has sent so far. */
    private static final class Held {
        final SocketChannel socket;
        final byte[] bytes;
        final int stallAt;
        int sent;
        long nextNs;

        Held(final SocketChannel socket, final byte[] bytes, final int stallAt) {
            this.socket = socket;
            this.bytes = bytes;
            this.stallAt = stallAt;
        }
    }

    /** {@link #HELD} connections that stall or trickle, each reopened the moment it is cut. */
    private void hold() throws IOException {
        final List<Held> held = new ArrayList<>();
        try (Selector selector = Selector.open()) {
            while (running.get()) {
                refill(held, selector);
                send(held);
                selector.select(20);
                reap(held, selector);
            }
        } finally {
            for (final Held connection : held) {
                connection.socket.close();
            }
        }
    }

    /** Opens connections until {@link #HELD} are held. */
    private void refill(final List<Held> held, final Selector selector) throws IOException {
        while (held.size() < this.held && running.get()) {
            final SocketChannel socket;
            try {
                socket = open();
            } catch (final IOException ex) {
                LockSupport.parkNanos(1_000_000L);
                continue;
            }
            final long made = opened;
            final byte[] bytes = hello(made % 2 == 0 ? HandshakeFlyweight.KIND_MAIN : HandshakeFlyweight.KIND_DATA);
            final int stallAt = kind == Kind.IDLE ? 0 : kind == Kind.STALLED_HELLO && made % 3 == 0 ? bytes.length / 2 :
                bytes.length;
            final Held connection = new Held(socket, bytes, stallAt);
            socket.configureBlocking(false);
            socket.register(selector, SelectionKey.OP_READ, connection);
            held.add(connection);
        }
    }

    /** Sends what is due: the HELLO (or its first half) at once, or the next byte of a trickle. */
    private void send(final List<Held> held) throws IOException {
        final long nowNs = System.nanoTime();
        for (final Held connection : held) {
            if (connection.sent < connection.stallAt && nowNs - connection.nextNs >= 0) {
                final int length = kind == Kind.TRICKLE ? 1 : connection.stallAt - connection.sent;
                try {
                    connection.sent += connection.socket.write(ByteBuffer.wrap(connection.bytes, connection.sent,
                        length));
                } catch (final IOException ex) {
                    connection.socket.close();
                }
                connection.nextNs = nowNs + TRICKLE_PERIOD_NS;
            }
        }
    }

    /** Drops the connections the destination closed (reading and discarding what it sent). */
    private void reap(final List<Held> held, final Selector selector) throws IOException {
        final ByteBuffer sink = ByteBuffer.allocate(256);
        for (final SelectionKey key : selector.selectedKeys()) {
            final Held connection = (Held)key.attachment();
            boolean closed;
            try {
                closed = connection.socket.read(sink.clear()) < 0;
            } catch (final IOException ex) {
                closed = true;
            }
            if (closed) {
                key.cancel();
                connection.socket.close();
            }
        }
        selector.selectedKeys().clear();
        for (int i = held.size() - 1; i >= 0; i--) {
            if (!held.get(i).socket.isOpen()) {
                held.remove(i);
                cut++;
            }
        }
    }

    @Override
    public void close() throws InterruptedException {
        running.set(false);
        thread.join(5_000);
    }
}
