package dev.ferry.engine.source;

import dev.ferry.engine.channel.Connection;
import dev.ferry.engine.channel.Handshake;
import dev.ferry.engine.channel.TlsEngines;
import dev.ferry.engine.channel.Watchdog;
import dev.ferry.engine.error.ErrorCode;
import dev.ferry.engine.error.ErrorText;
import dev.ferry.engine.error.FerryException;

import javax.net.ssl.SSLException;
import java.io.EOFException;
import java.io.IOException;
import java.nio.channels.ClosedChannelException;

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
