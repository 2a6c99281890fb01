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
import java.nio.channels.ClosedChannelException;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import javax.net.ssl.SSLException;

/**
 * How the source reaches the destination: connect, then TLS when configured, then Ferry's handshake, all bounded
 * by the connect timeout, each failure named for what it was.
 */
final class Dialer {
    private final SourceConfig config;
    private final Watchdog watchdog;
    private final SourceInbox inbox;
    /** Data channels connected and not yet taken: {@link #stop} closes them. */
    private final Set<Connection> dialing = ConcurrentHashMap.newKeySet();
    /** Every dial thread started: {@link #stop} joins them. */
    private final List<Thread> threads = new CopyOnWriteArrayList<>();
    private volatile boolean stopped;

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
            checkStillWanted(kind);
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
     * Starts dialing the data channels now, on a thread of its own, while the conductor awaits SETUP-ACK: the
     * destination's door holds an authenticated data channel until its session's SETUP is done, so the two round
     * trips overlap. {@link #dataChannelsAfterSetUp} takes the result; {@link #stop} ends it if the set-up fails.
     */
    CompletableFuture<Dial> dataChannelsAhead(final byte[] sessionId) {
        final CompletableFuture<Dial> ahead = new CompletableFuture<>();
        final Dial dial = new Dial(config.channels());
        final Thread thread = config.threadFactory().newThread(() -> {
            dial(sessionId, dial, dial.indexes());
            ahead.complete(dial);
        });
        thread.setName("ferry-dial-ahead");
        threads.add(thread);
        thread.start();
        return ahead;
    }

    /**
     * The data channels dialed ahead, once SETUP-ACK is in; those the destination refused (a SETUP that took longer
     * than its door holds a data channel, or a destination that refuses one before SETUP-ACK) are dialed again now,
     * the others kept (the destination holds their indexes). Any failure of the second dial is the one reported.
     */
    List<Connection> dataChannelsAfterSetUp(final CompletableFuture<Dial> ahead, final byte[] sessionId)
        throws IOException {
        final Dial dial = ahead.join(); // done: the conductor awaited it; a dial records its failures, never throws
        final int[] refused = dial.refusedBeforeReady();
        if (refused.length > 0) {
            dial(sessionId, dial, refused);
        }
        return dial.take();
    }

    /**
     * The migration is over (or its set-up failed): every data channel still being dialed or not yet taken is
     * closed, which ends its dial at once (a peer that never answers included), and the dial threads are joined for
     * up to {@code waitMs}. A dial that is still connecting closes what it gets. Idempotent.
     */
    void stop(final long waitMs) {
        stopped = true;
        for (final Connection connection : dialing) {
            connection.close();
        }
        final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(waitMs);
        for (final Thread thread : threads) {
            try {
                thread.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadlineNs - System.nanoTime())));
            } catch (final InterruptedException ex) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /**
     * Connects and authenticates the data channels {@code indexes} of {@code dial} at once: the first on this thread,
     * each other on a thread of its own, each bounded as {@link #open} and {@link #handshake} are (on cold JVMs one
     * after the other cost a connect and two round trips per channel); returns when each has ended.
     */
    private void dial(final byte[] sessionId, final Dial dial, final int[] indexes) {
        final Thread[] started = new Thread[indexes.length];
        for (int i = 1; i < indexes.length; i++) {
            final int index = indexes[i];
            started[i] = config.threadFactory().newThread(() -> dialData(sessionId, index, dial));
            started[i].setName("ferry-dial-" + index);
            threads.add(started[i]);
            started[i].start();
        }
        dialData(sessionId, indexes[0], dial);
        boolean interrupted = false;
        for (int i = 1; i < indexes.length; i++) {
            while (started[i].isAlive()) { // each dial ends within the connect timeout, or when its socket is closed
                try {
                    started[i].join();
                } catch (final InterruptedException ex) {
                    interrupted = true;
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private void dialData(final byte[] sessionId, final int index, final Dial dial) {
        Connection connection = null;
        try {
            checkStillWanted(HandshakeFlyweight.KIND_DATA);
            connection = open("data channel " + index);
            dialing.add(connection);
            checkStillWanted(HandshakeFlyweight.KIND_DATA); // stop() may have run while it connected
            handshake(connection, sessionId, HandshakeFlyweight.KIND_DATA, index);
            dial.connected(index, connection);
        } catch (final IOException | RuntimeException | Error ex) {
            if (null != connection) {
                dialing.remove(connection);
                connection.close();
            }
            dial.failed(index, ex);
        }
    }

    /** One dial of the data channels: a connection or a failure per index, taken once all have connected. */
    final class Dial {
        private final Connection[] connections;
        private final Throwable[] failures;

        private Dial(final int count) {
            this.connections = new Connection[count];
            this.failures = new Throwable[count];
        }

        int[] indexes() {
            return IntStream.range(0, connections.length).toArray();
        }

        private synchronized void connected(final int index, final Connection connection) {
            connections[index] = connection;
            failures[index] = null;
        }

        private synchronized void failed(final int index, final Throwable failure) {
            failures[index] = failure;
        }

        /**
         * The indexes the destination refused for want of a session ready for them (a SETUP slower than its door
         * holds a data channel): those are worth dialing again once SETUP-ACK is in. Any other failure stands.
         */
        synchronized int[] refusedBeforeReady() {
            return IntStream.range(0, failures.length).filter(i -> failures[i] instanceof Handshake.Refused refused &&
                refused.status() == HandshakeFlyweight.ACCEPT_NO_SESSION).toArray();
        }

        /** Every connection in index order; if any failed, all are closed and the lowest index's failure thrown. */
        synchronized List<Connection> take() throws IOException {
            for (final Throwable failure : failures) {
                if (null != failure) {
                    for (final Connection connection : connections) {
                        if (null != connection) {
                            dialing.remove(connection);
                            connection.close();
                        }
                    }
                    if (failure instanceof IOException io) {
                        throw io;
                    }
                    if (failure instanceof Error error) {
                        throw error;
                    }
                    throw (RuntimeException)failure;
                }
            }
            for (final Connection connection : connections) {
                dialing.remove(connection); // the senders' from now on
            }
            return List.of(connections);
        }
    }

    /** The main channel, connected on the conductor's thread (which alone reads the inbox). */
    Connection connect(final String what) {
        checkStillWanted(HandshakeFlyweight.KIND_MAIN);
        return open(what);
    }

    /**
     * Whether the migration still wants this connection: the conductor (main channel) reads its inbox and throws
     * the migration's failure; a dial thread (data channels) only asks whether {@link #stop} was called. A dial
     * thread must never read the inbox: its queue has one consumer, the conductor, and a second one loses events
     * (a lost APPLIED hung one migration in about 400 of a many-sessions campaign).
     */
    private void checkStillWanted(final int kind) {
        if (kind == HandshakeFlyweight.KIND_MAIN) {
            inbox.check();
        } else if (stopped) {
            throw new FerryException(ErrorCode.CANCELLED, "the migration ended while its data channels were dialed");
        }
    }

    private Connection open(final String what) {
        try {
            return Connection.connect(config.destination(), (int)Math.min(Integer.MAX_VALUE, config.connectTimeoutMs()),
                what + " to " + config.destination());
        } catch (final IOException ex) {
            throw new FerryException(ErrorCode.CONNECT_FAILED, "cannot connect " + what + " to " +
                config.destination() + ": " + ex.getMessage());
        }
    }
}
