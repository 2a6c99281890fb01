package dev.ferry.engine.destination;

import dev.ferry.engine.channel.Connection;
import dev.ferry.engine.channel.Handshake;
import dev.ferry.engine.channel.TlsEngines;
import dev.ferry.engine.channel.Watchdog;
import dev.ferry.engine.error.FerryException;
import dev.ferry.engine.protocol.HandshakeFlyweight;
import dev.ferry.engine.protocol.Protocol;
import org.agrona.concurrent.status.AtomicCounter;

import javax.net.ssl.SSLException;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;


/**
 * The destination's door: the acceptor thread, a bounded number of handshakes in flight (each on a thread of its
 * own, under two deadlines: the first bytes within {@code firstBytesTimeoutMs}, the whole handshake within
 * {@code handshakeTimeoutMs}), and the admission rules: one main channel, then the data channels of its session,
 * each index once. When the {@link HandshakeSlots} are full, a new connection displaces a silent or the oldest one
 * instead of being refused, so idle connections cannot lock the real source out. An admitted connection is handed to
 * the {@link Host} on its handshake thread, which it then serves. Every refused connection is counted, and logged
 * once per cause per ten seconds ({@link RefusalLog}).
 * <p>
 * {@link #close} stops the acceptor and every handshake and waits for their threads; refusals are counted under a
 * lock that close shuts before it returns. The refusal counter lives in the counters file, unmapped once the
 * destination ends: a count after that would crash the JVM.
 */
final class Admission {
    /** What admitted connections are handed to. */
    interface Host {
        /** The main channel is authenticated; serve it on this thread. */
        void serveMain(Connection connection);

        /** Data channel {@code index} is authenticated; serve it on this thread. */
        void serveData(Connection connection, int index);
    }

    /** Room in the kernel's accept queue: a burst of connections must not stall real ones in SYN retries. */
    private static final int ACCEPT_BACKLOG = 1024;

    private final DestinationConfig config;
    private final Watchdog watchdog;
    private final Host host;
    private final AtomicCounter rejected;
    private final HandshakeSlots<Connection> slots;
    private final RefusalLog refusals;
    private final Map<Connection, String[]> cuts = new ConcurrentHashMap<>();
    private final Set<Connection> connections = ConcurrentHashMap.newKeySet();
    private final ServerSocketChannel server;
    private final Path unixPath;
    private final DoorThreads threads = new DoorThreads();
    /** Guards {@link #counting}: refusals are counted only while it is set, and close() clears it. */
    private final Object countLock = new Object();
    private boolean counting = true;
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
        this.slots = new HandshakeSlots<>(config.maxPendingHandshakes(), Connection::hasUnreadInput);
        this.refusals = new RefusalLog(config.warnings());
        this.unixPath = config.listen() instanceof UnixDomainSocketAddress unix ? unix.getPath() : null;
        this.server = null == unixPath ? ServerSocketChannel.open() : ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            server.bind(config.listen(), ACCEPT_BACKLOG);
        } catch (final IOException ex) {
            server.close();
            throw ex;
        }
        if (null != unixPath) {
            try {
                // Only this user may connect: the socket file is the door, and the secret is not everyone's.
                Files.setPosixFilePermissions(unixPath, PosixFilePermissions.fromString("rw-------"));
            } catch (final IOException | UnsupportedOperationException ex) {
                server.close();
                deleteSocketFile();
                throw new IOException("cannot make " + unixPath + " owner-only: " + ex.getMessage(), ex);
            }
        }
        final Thread acceptor = config.threadFactory().newThread(this::acceptLoop);
        acceptor.setName("ferry-acceptor");
        threads.add(acceptor);
        acceptor.start();
    }

    SocketAddress localAddress() {
        try {
            return server.getLocalAddress();
        } catch (final IOException ex) {
            return null;
        }
    }

    /** A Unix-domain socket's file is removed when the destination closes (bind refuses an existing one). */
    private void deleteSocketFile() {
        if (null != unixPath) {
            try {
                Files.deleteIfExists(unixPath);
            } catch (final IOException ignore) {
                // best effort: the next bind names the file if it is still there.
            }
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

    /**
     * Stops accepting, refuses every handshake still running, closes every connection, and waits (up to
     * {@code waitMs} in all) for the acceptor and the handshake threads to end: true if they have. Threads already
     * handed to the host are the host's to join. No refusal is counted once this returns. Idempotent.
     */
    boolean close(final long waitMs) {
        closed = true;
        threads.close();
        try {
            server.close();
        } catch (final IOException ignore) {
            // closing is best effort.
        }
        deleteSocketFile();
        for (final Connection connection : connections) {
            connection.close();
        }
        final boolean stopped = threads.await(waitMs);
        synchronized (countLock) {
            counting = false;
        }
        return stopped;
    }

    /** Waits up to {@code waitMs} for the acceptor and every handshake thread to end; true if they have. */
    boolean awaitStopped(final long waitMs) {
        return threads.await(waitMs);
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
            final SocketAddress remote;
            try {
                remote = socket.getRemoteAddress();
                connection = new Connection(socket, "connection from " + (null == unixPath ? remote : unixPath));
            } catch (final IOException ex) {
                closeQuietly(socket);
                continue;
            }
            if (closed) {
                count();
                connection.close();
                continue;
            }
            // Unix-domain peers have no address: they all count as one (local) peer.
            final Object peer = remote instanceof InetSocketAddress inet ? inet.getAddress() : "local";
            final HandshakeSlots.Slot<Connection> slot = new HandshakeSlots.Slot<>(connection, peer, System.nanoTime());
            connections.add(connection);
            final HandshakeSlots.Slot<Connection> displaced = slots.take(slot);
            if (null != displaced) {
                cut(displaced.holder, "displaced", "handshake slots full (" + config.maxPendingHandshakes() +
                    ", at most " + slots.perAddressCap() + " per address): dropped, " + (displaced.helloRead ?
                    "the oldest in handshake" : "silent so far") + ", for a newer connection");
            }
            final Thread thread = config.threadFactory().newThread(() -> serve(connection, slot));
            thread.setName("ferry-handshake");
            if (!threads.add(thread)) {
                // closed meanwhile: close() may not have seen this connection.
                slots.release(slot);
                connections.remove(connection);
                count();
                connection.close();
                continue;
            }
            thread.start();
        }
    }

    /** Cuts {@code connection} off for {@code reason}, which its handshake thread then reports. */
    private void cut(final Connection connection, final String cause, final String reason) {
        cuts.putIfAbsent(connection, new String[] {cause, reason});
        connection.close();
    }

    /** Authenticates a connection, then serves it as the main channel or a data channel on this thread. */
    private void serve(final Connection connection, final HandshakeSlots.Slot<Connection> slot) {
        final Handshake.Hello hello;
        final long handshakeMs = config.handshakeTimeoutMs();
        final long firstBytesMs = Math.min(config.firstBytesTimeoutMs(), handshakeMs);
        final ScheduledFuture<?> deadline;
        final ScheduledFuture<?> firstBytes;
        try {
            deadline = watchdog.after(handshakeMs, () -> cut(connection, "handshake-timeout",
                "no complete handshake within " + handshakeMs + " ms"));
            firstBytes = watchdog.after(firstBytesMs, () -> cut(connection, "first-bytes-timeout",
                "sent no HELLO within " + firstBytesMs + " ms"));
        } catch (final RejectedExecutionException ex) {
            // the destination is closing and its watchdog is gone: nobody will serve this connection.
            slots.release(slot);
            refuse(connection, ex);
            return;
        }
        try {
            if (null != config.tls()) {
                connection.secure(TlsEngines.server(config.tls()));
            }
            hello = Handshake.server(connection, config.secret(), this::admit, () -> {
                slot.helloRead = true;
                firstBytes.cancel(false);
            });
        } catch (final IOException | RuntimeException ex) {
            refuse(connection, ex);
            return;
        } finally {
            deadline.cancel(false);
            firstBytes.cancel(false);
            slots.release(slot);
        }
        threads.handOver();
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
                return HandshakeFlyweight.ACCEPT_CHANNEL_COUNT_OUT_OF_RANGE;
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

    /** Counts, closes and logs (rate-limited, per cause) a connection whose handshake failed. */
    private void refuse(final Connection connection, final Exception ex) {
        count();
        connections.remove(connection);
        connection.close();
        final String[] cut = cuts.remove(connection);
        if (closed) {
            return;
        }
        final String cause;
        final String reason;
        if (null != cut) {
            cause = cut[0];
            reason = cut[1];
        } else if (ex instanceof FerryException failure) {
            cause = failure.code().name();
            reason = failure.getMessage();
        } else if (ex instanceof SSLException) {
            cause = "tls";
            reason = "TLS handshake failed: " + TlsEngines.reason(ex, "source");
        } else if (ex instanceof EOFException) {
            cause = "closed";
            reason = "closed by the peer during the handshake";
        } else {
            cause = ex.getClass().getSimpleName();
            reason = "handshake failed: " + ex.getMessage();
        }
        refusals.refused(cause, "refused " + connection + ": " + reason, System.nanoTime());
    }

    /** Counts a refusal, unless close() has returned (the counters file may be unmapped by then). */
    private void count() {
        synchronized (countLock) {
            if (counting) {
                rejected.increment();
            }
        }
    }

    private static void closeQuietly(final SocketChannel socket) {
        try {
            socket.close();
        } catch (final IOException ignore) {
            // closing is best effort.
        }
    }
}
