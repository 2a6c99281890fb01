package dev.ferry.engine.source;

import dev.ferry.engine.ErrorCode;
import dev.ferry.engine.FerryException;
import dev.ferry.engine.channel.Connection;
import dev.ferry.engine.channel.Handshake;
import dev.ferry.engine.channel.TlsEngines;
import dev.ferry.engine.channel.Watchdog;
import dev.ferry.engine.protocol.HandshakeFlyweight;
import dev.ferry.engine.text.ErrorText;

import java.io.EOFException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.channels.ClosedChannelException;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import javax.net.ssl.SSLException;

/**
 * How the source reaches the destination: connect, then TLS when configured, then Ferry's handshake, all bounded
 * by the connect timeout, each failure named for what it was.
 */
final class Dialer {
    private final SourceConfig config;
    private final Watchdog watchdog;
    private final SourceInbox inbox;

    Dialer(final SourceConfig config, final Watchdog watchdog, final SourceInbox inbox) {
        this.config = config;
        this.watchdog = watchdog;
        this.inbox = inbox;
    }

    /**
     * TLS when configured, then Ferry's handshake, bounded: a peer that never answers is cut off after the connect
     * timeout. Over TLS, a connection the destination drops is a TLS failure: during the TLS handshake it most
     * likely does not speak TLS, and just after it (TLS 1.3 checks this side's certificate only once this side has
     * finished) it most likely refused this side's certificate; the error says so.
     */
    void handshake(final Connection connection, final byte[] sessionId, final int kind, final int index)
        throws IOException {
        final var deadline = watchdog.closeAfter(connection, config.connectTimeoutMs());
        try {
            if (null != config.tls()) {
                connection.secure(TlsEngines.client(config.tls(), config.destination()));
            }
            Handshake.client(connection, config.secret(), sessionId, kind, index, config.channels());
        } catch (final SSLException ex) {
            throw TlsEngines.sourceFailure(ex, config.destination());
        } catch (final ClosedChannelException ex) {
            inbox.check();
            throw new FerryException(ErrorCode.HANDSHAKE_FAILED, connection + ": no handshake answer within " +
                config.connectTimeoutMs() + " ms");
        } catch (final IOException ex) {
            if (null == config.tls()) {
                throw closedDuringHandshake(connection, ex);
            }
            throw TlsEngines.sourceFailure(new EOFException(ex.getMessage()), config.destination());
        } finally {
            deadline.cancel(false);
        }
    }

    /**
     * A destination that closes a plain connection before its handshake answer most likely expects TLS (it reads
     * the HELLO as a TLS record and drops it) or is busy with another source; its log says which. Before, this
     * reached the operator as "java.io.EOFException: main channel closed by peer".
     */
    private static FerryException closedDuringHandshake(final Connection connection, final IOException ex) {
        return new FerryException(ErrorCode.HANDSHAKE_FAILED, connection + ": the destination closed the connection " +
            "during the handshake" + (ex instanceof EOFException ? "" : " (" + ErrorText.of(ex) + ")") + ". Does it " +
            "require TLS (--tls-keystore ...), or is it busy with another source? Its log says why.");
    }

    /**
     * Connects and authenticates every data channel at once: channel 0 on this thread, each other on a thread of its
     * own, each bounded as {@link #connect} and {@link #handshake} are (on cold JVMs one after the other cost a
     * connect and two round trips per channel). Returns them in index order. When any fails, every one is closed
     * and the failure of the lowest index is thrown.
     */
    List<Connection> dataChannels(final byte[] sessionId) throws IOException {
        final int count = config.channels();
        final Connection[] connections = new Connection[count];
        final Throwable[] failures = new Throwable[count];
        final Thread[] threads = new Thread[count];
        for (int i = 1; i < count; i++) {
            final int index = i;
            threads[i] = config.threadFactory().newThread(() -> dialData(sessionId, index, connections, failures));
            threads[i].setName("ferry-dial-" + i);
            threads[i].start();
        }
        dialData(sessionId, 0, connections, failures);
        boolean interrupted = false;
        for (int i = 1; i < count; i++) {
            while (threads[i].isAlive()) { // each dial ends within the connect timeout, or when its socket is closed
                try {
                    threads[i].join();
                } catch (final InterruptedException ex) {
                    interrupted = true;
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        for (final Throwable failure : failures) {
            if (null != failure) {
                Arrays.stream(connections).filter(c -> null != c).forEach(Connection::close);
                if (failure instanceof IOException io) {
                    throw io;
                }
                if (failure instanceof Error error) {
                    throw error;
                }
                throw (RuntimeException)failure;
            }
        }
        return List.of(connections);
    }

    /**
     * Starts dialing the data channels now, on a thread of its own, while the conductor awaits SETUP-ACK: the
     * destination's door holds an authenticated data channel until its session's SETUP is done, so the two round
     * trips overlap. {@link #dataChannelsAfterSetUp} takes the result; {@link #abandon} closes it if the set-up fails.
     */
    CompletableFuture<List<Connection>> dataChannelsAhead(final byte[] sessionId) {
        final CompletableFuture<List<Connection>> ahead = new CompletableFuture<>();
        final Thread thread = config.threadFactory().newThread(() -> {
            try {
                ahead.complete(dataChannels(sessionId));
            } catch (final IOException | RuntimeException | Error ex) {
                ahead.completeExceptionally(ex);
            }
        });
        thread.setName("ferry-dial-ahead");
        thread.start();
        return ahead;
    }

    /**
     * The data channels dialed ahead, once SETUP-ACK is in; dialed again now if that failed (a destination whose
     * SETUP took longer than its door holds a data channel, or one that refuses a data channel before SETUP-ACK).
     * Any failure of the second dial is the one reported.
     */
    List<Connection> dataChannelsAfterSetUp(final CompletableFuture<List<Connection>> ahead, final byte[] sessionId)
        throws IOException {
        try {
            return ahead.get();
        } catch (final ExecutionException ex) {
            return dataChannels(sessionId);
        } catch (final InterruptedException ex) {
            Thread.currentThread().interrupt();
            abandon(ahead);
            throw new InterruptedIOException("interrupted while the data channels were dialed");
        }
    }

    /** The set-up failed: whatever the dial ahead connects is closed as soon as it has it. */
    static void abandon(final CompletableFuture<List<Connection>> ahead) {
        ahead.thenAccept(connections -> connections.forEach(Connection::close));
    }

    private void dialData(final byte[] sessionId, final int index, final Connection[] connections,
        final Throwable[] failures) {
        try {
            connections[index] = connect("data channel " + index);
            handshake(connections[index], sessionId, HandshakeFlyweight.KIND_DATA, index);
        } catch (final IOException | RuntimeException | Error ex) {
            failures[index] = ex;
        }
    }

    Connection connect(final String what) {
        inbox.check();
        try {
            return Connection.connect(config.destination(), (int)Math.min(Integer.MAX_VALUE, config.connectTimeoutMs()),
                what + " to " + config.destination());
        } catch (final IOException ex) {
            throw new FerryException(ErrorCode.CONNECT_FAILED, "cannot connect " + what + " to " +
                config.destination() + ": " + ex.getMessage());
        }
    }
}
