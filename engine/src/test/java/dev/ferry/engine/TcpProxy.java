package dev.ferry.engine;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** A loopback TCP forwarder whose every connection can be cut at once, without a word to either side. */
final class TcpProxy implements AutoCloseable {
    private final ServerSocketChannel server;
    private final InetSocketAddress target;
    private final List<SocketChannel> sockets = new CopyOnWriteArrayList<>();

    TcpProxy(final InetSocketAddress target) throws IOException {
        this.target = target;
        this.server = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
        final Thread acceptor = new Thread(this::accept, "test-proxy-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    InetSocketAddress address() throws IOException {
        return (InetSocketAddress)server.getLocalAddress();
    }

    private void accept() {
        try {
            while (true) {
                final SocketChannel client = server.accept();
                final SocketChannel upstream = SocketChannel.open(target);
                sockets.add(client);
                sockets.add(upstream);
                pump(client, upstream);
                pump(upstream, client);
            }
        } catch (final IOException ignore) {
            // closed
        }
    }

    private static void pump(final SocketChannel from, final SocketChannel to) {
        final Thread thread = new Thread(() -> {
            final ByteBuffer buffer = ByteBuffer.allocateDirect(256 * 1024);
            try {
                while (from.read(buffer.clear()) >= 0) {
                    buffer.flip();
                    while (buffer.hasRemaining()) {
                        to.write(buffer);
                    }
                }
                to.shutdownOutput();
            } catch (final IOException ignore) {
                // cut or closed
            }
        }, "test-proxy-pump");
        thread.setDaemon(true);
        thread.start();
    }

    /** Closes every connection through the proxy: both sides see the connection drop, nothing else. */
    void cutAll() {
        for (final SocketChannel socket : sockets) {
            try {
                socket.close();
            } catch (final IOException ignore) {
                // already closed
            }
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        cutAll();
    }
}
