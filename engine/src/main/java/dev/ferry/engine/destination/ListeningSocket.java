package dev.ferry.engine.destination;

import java.io.IOException;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * The door's listening socket, TCP or Unix-domain: a Unix socket's file is made owner-only when bound (the socket
 * file is the door, and the secret is not everyone's) and removed when closed (bind refuses an existing one).
 */
final class ListeningSocket {
    /** Room in the kernel's accept queue: a burst of connections must not stall real ones in SYN retries. */
    private static final int ACCEPT_BACKLOG = 1024;

    private final ServerSocketChannel server;
    private final Path unixPath;

    /** Binds {@code address}; throws naming what failed. */
    ListeningSocket(final SocketAddress address) throws IOException {
        this.unixPath = address instanceof UnixDomainSocketAddress unix ? unix.getPath() : null;
        this.server = null == unixPath ? ServerSocketChannel.open() : ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            server.bind(address, ACCEPT_BACKLOG);
        } catch (final IOException ex) {
            server.close();
            throw ex;
        }
        if (null != unixPath) {
            try {
                Files.setPosixFilePermissions(unixPath, PosixFilePermissions.fromString("rw-------"));
            } catch (final IOException | UnsupportedOperationException ex) {
                close();
                throw new IOException("cannot make " + unixPath + " owner-only: " + ex.getMessage(), ex);
            }
        }
    }

    SocketAddress localAddress() {
        try {
            return server.getLocalAddress();
        } catch (final IOException ex) {
            return null;
        }
    }

    boolean isOpen() {
        return server.isOpen();
    }

    /** The next connection; throws once closed. */
    SocketChannel accept() throws IOException {
        return server.accept();
    }

    /** How a connection's peer is named in logs: its address, or the Unix socket's path. */
    Object peerName(final SocketAddress remote) {
        return null == unixPath ? remote : unixPath;
    }

    /** Stops listening and removes a Unix socket's file; best effort, idempotent. */
    void close() {
        try {
            server.close();
        } catch (final IOException ignore) {
            // closing is best effort.
        }
        if (null != unixPath) {
            try {
                Files.deleteIfExists(unixPath);
            } catch (final IOException ignore) {
                // best effort: the next bind names the file if it is still there.
            }
        }
    }
}
