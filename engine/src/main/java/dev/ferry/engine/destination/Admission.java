package dev.ferry.engine.destination;

import dev.ferry.engine.channel.Connection;
import dev.ferry.engine.channel.Handshake;
import dev.ferry.engine.channel.Watchdog;
import dev.ferry.engine.error.FerryException;
import dev.ferry.engine.protocol.HandshakeFlyweight;
import dev.ferry.engine.protocol.Protocol;
import org.agrona.concurrent.status.AtomicCounter;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The destination's door: the acceptor thread, a bounded number of handshakes in flight (each on a thread of its
 * own, under a deadline), and the admission rules: one main channel, then the data channels of its session, each
 * index once. An admitted connection is handed to the {@link Host} on its handshake thread, which it then serves.
 * Every refused connection is counted.
 */
final class Admission {
    /** What admitted connections are handed to. */
    interface Host {
        /** The main channel is authenticated; serve it on this thread. */
        void serveMain(Connection connection);

        /** Data channel {@code index} is authenticated; serve it on this thread. */
        void serveData(Connection connection, int index);
    }

    private final DestinationConfig config;
    private final Watchdog watchdog;
    private final Host host;
    private final AtomicCounter rejected;
    private final AtomicInteger pendingHandshakes = new AtomicInteger();
    private final Set<Connection> connections = ConcurrentHashMap.newKeySet();
    private final ServerSocketChannel server;
    private volatile boolean closed;
    private boolean mainTaken;
    private byte[] sessionId;
    private int channelCount;
    private boolean[] channelTaken;
    private boolean sessionReady;

    Admission(final DestinationConfig config, final Watchdog watchdog, final Host host, final AtomicCounter rejected)
        throws IOException {
        this.config = config;
        this.watchdog = watchdog;
        this.host = host;
        this.rejected = rejected;
        this.server = ServerSocketChannel.open();
        try {
            server.bind(config.listen());
        } catch (final IOException ex) {
            server.close();
            throw ex;
        }
        final Thread acceptor = config.threadFactory().newThread(this::acceptLoop);
        acceptor.setName("ferry-acceptor");
        acceptor.start();
    }

    InetSocketAddress localAddress() {
        try {
            return (InetSocketAddress)server.getLocalAddress();
        } catch (final IOException ex) {
            return null;
        }
    }

    /** Every connection accepted and not yet closed. */
    Set<Connection> connections() {
        return connections;
    }

    long rejected() {
        return rejected.get();
    }

    /** The channel count the main channel's handshake announced. */
    synchronized int channelCount() {
        return channelCount;
    }

    /** SETUP is done: data channels of the session may now be admitted. */
    synchronized void sessionReady() {
        sessionReady = true;
    }

    /** Stops accepting, refuses every handshake still running and closes every connection. */
    void close() {
        closed = true;
        try {
            server.close();
        } catch (final IOException ignore) {
            // closing is best effort.
        }
        for (final Connection connection : connections) {
            connection.close();
        }
    }

    private void acceptLoop() {
        while (server.isOpen()) {
            final SocketChannel socket;
            try {
                socket = server.accept();
            } catch (final IOException ex) {
                return;
            }
            final Connection connection;
            try {
                connection = new Connection(socket, "connection from " + socket.getRemoteAddress());
            } catch (final IOException ex) {
                closeQuietly(socket);
                continue;
            }
            if (pendingHandshakes.incrementAndGet() > config.maxPendingHandshakes() || closed) {
                pendingHandshakes.decrementAndGet();
                rejected.increment();
                connection.close();
                continue;
            }
            connections.add(connection);
            final Thread thread = config.threadFactory().newThread(() -> serve(connection));
            thread.setName("ferry-handshake");
            thread.start();
        }
    }

    /** Authenticates a connection, then serves it as the main channel or a data channel on this thread. */
    private void serve(final Connection connection) {
        final Handshake.Hello hello;
        final var deadline = watchdog.closeAfter(connection, config.handshakeTimeoutMs());
        try {
            hello = Handshake.server(connection, config.secret(), this::admit);
        } catch (final IOException | RuntimeException ex) {
            rejected.increment();
            connections.remove(connection);
            connection.close();
            if (!closed) {
                config.warnings().accept("refused " + connection + ": " + (ex instanceof FerryException ?
                    ex.getMessage() : "handshake failed (" + ex + ")"));
            }
            return;
        } finally {
            deadline.cancel(false);
            pendingHandshakes.decrementAndGet();
        }
        if (hello.kind() == HandshakeFlyweight.KIND_MAIN) {
            Thread.currentThread().setName("ferry-main-reader");
            host.serveMain(connection);
        } else {
            Thread.currentThread().setName("ferry-receiver-" + hello.channelIndex());
            host.serveData(connection, hello.channelIndex());
        }
    }

    /** Admits a client that proved the secret: one main channel, then data channels of its session. */
    private synchronized int admit(final Handshake.Hello hello) {
        if (closed) {
            return HandshakeFlyweight.ACCEPT_BUSY;
        }
        if (hello.kind() == HandshakeFlyweight.KIND_MAIN) {
            if (mainTaken) {
                return HandshakeFlyweight.ACCEPT_BUSY;
            }
            if (hello.channelCount() < 1 || hello.channelCount() > Protocol.MAX_CHANNELS) {
                return HandshakeFlyweight.ACCEPT_CHANNEL_OUT_OF_RANGE;
            }
            mainTaken = true;
            sessionId = hello.sessionId();
            channelCount = hello.channelCount();
            channelTaken = new boolean[channelCount];
            return HandshakeFlyweight.ACCEPT_OK;
        }
        if (hello.kind() != HandshakeFlyweight.KIND_DATA) {
            return HandshakeFlyweight.ACCEPT_BAD_KIND;
        }
        if (null == sessionId || !sessionReady) {
            return HandshakeFlyweight.ACCEPT_NO_SESSION;
        }
        if (!Arrays.equals(sessionId, hello.sessionId()) || hello.channelCount() != channelCount) {
            return HandshakeFlyweight.ACCEPT_SESSION_MISMATCH;
        }
        if (hello.channelIndex() >= channelCount) {
            return HandshakeFlyweight.ACCEPT_CHANNEL_OUT_OF_RANGE;
        }
        if (channelTaken[hello.channelIndex()]) {
            return HandshakeFlyweight.ACCEPT_DUPLICATE_CHANNEL;
        }
        channelTaken[hello.channelIndex()] = true;
        return HandshakeFlyweight.ACCEPT_OK;
    }

    private static void closeQuietly(final SocketChannel socket) {
        try {
            socket.close();
        } catch (final IOException ignore) {
            // closing is best effort.
        }
    }
}
