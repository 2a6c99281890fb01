package dev.ferry.engine.source;

import dev.ferry.engine.channel.Connection;
import dev.ferry.engine.channel.Handshake;
import dev.ferry.engine.channel.TlsEngines;
import dev.ferry.engine.channel.Watchdog;
import dev.ferry.engine.error.ErrorCode;
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

    /** The client handshake, bounded: a peer that never answers is cut off after the connect timeout. */
    void handshake(final Connection connection, final byte[] sessionId, final int kind, final int index)
        throws IOException {
        final var deadline = watchdog.closeAfter(connection, config.connectTimeoutMs());
        try {
            if (null != config.tls()) {
                secure(connection);
            }
            handshakeOver(connection, sessionId, kind, index);
        } catch (final SSLException ex) {
            throw TlsEngines.sourceFailure(ex, config.destination());
        } catch (final ClosedChannelException ex) {
            inbox.check();
            throw new FerryException(ErrorCode.HANDSHAKE_FAILED, connection + ": no handshake answer within " +
                config.connectTimeoutMs() + " ms");
        } finally {
            deadline.cancel(false);
        }
    }

    /**
     * Ferry's handshake; over TLS 1.3 the destination checks this side's certificate only after the TLS handshake
     * ends here, so a connection it drops now most likely carried a certificate it refused: said so.
     */
    private void handshakeOver(final Connection connection, final byte[] sessionId, final int kind, final int index)
        throws IOException {
        try {
            Handshake.client(connection, config.secret(), sessionId, kind, index, config.channels());
        } catch (final ClosedChannelException | SSLException ex) {
            throw ex;
        } catch (final IOException ex) {
            if (null == config.tls()) {
                throw ex;
            }
            throw TlsEngines.sourceFailure(new EOFException(ex.getMessage()),
                config.destination());
        }
    }

    /** TLS first: a destination that drops the connection here most likely does not speak TLS; said so. */
    private void secure(final Connection connection) throws IOException {
        try {
            connection.secure(TlsEngines.client(config.tls(), config.destination()));
        } catch (final ClosedChannelException | SSLException ex) {
            throw ex;
        } catch (final IOException ex) {
            throw TlsEngines.sourceFailure(new EOFException(ex.getMessage()),
                config.destination());
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
