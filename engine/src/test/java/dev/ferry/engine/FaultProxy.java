package dev.ferry.engine;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A loopback forwarder whose every connection can be cut at once ({@link #cutAll}), and which injects one fault: on
 * connection number {@code connection} (in accept order: the source opens its main channel first, then data
 * channels 0, 1, ...), in one direction, once {@code offset} bytes have passed, it either cuts the connection
 * (both sockets closed, no word to either side) or stalls it (stops forwarding that direction and holds both
 * sockets open: a peer that froze). Everything else is forwarded as is.
 */
final class FaultProxy implements AutoCloseable {
    /** What happens at the fault's offset. */
    enum Kind { CUT, STALL }

    /** The fault: which connection, which way ({@code towardsDestination}), after how many bytes, and what. */
    record Fault(int connection, boolean towardsDestination, long offset, Kind kind) {
    }

    private final ServerSocketChannel server;
    private final SocketAddress target;
    private final Fault fault;
    private final List<SocketChannel> sockets = new CopyOnWriteArrayList<>();
    private final AtomicInteger accepted = new AtomicInteger();
    private volatile long firedNs;

    /** A forwarder without a fault. */
    FaultProxy(final SocketAddress target) throws IOException {
        this(target, new Fault(-1, true, Long.MAX_VALUE, Kind.CUT));
    }

    FaultProxy(final SocketAddress target, final Fault fault) throws IOException {
        this.target = target;
        this.fault = fault;
        this.server = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
        final Thread acceptor = new Thread(this::accept, "test-fault-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    InetSocketAddress address() throws IOException {
        return (InetSocketAddress)server.getLocalAddress();
    }

    /** When the fault fired ({@code System.nanoTime()}), or 0 if the stream never reached it. */
    long firedNs() {
        return firedNs;
    }

    private void accept() {
        try {
            while (true) {
                final SocketChannel client = server.accept();
                final SocketChannel upstream = SocketChannel.open(target);
                sockets.add(client);
                sockets.add(upstream);
                final int index = accepted.getAndIncrement();
                pump(client, upstream, index == fault.connection() && fault.towardsDestination());
                pump(upstream, client, index == fault.connection() && !fault.towardsDestination());
            }
        } catch (final IOException ignore) {
            // closed
        }
    }

    private void pump(final SocketChannel from, final SocketChannel to, final boolean faulty) {
        final Thread thread = new Thread(() -> {
            final ByteBuffer buffer = ByteBuffer.allocateDirect(64 * 1024);
            long passed = 0;
            try {
                while (from.read(buffer.clear()) >= 0) {
                    buffer.flip();
                    if (faulty && passed + buffer.remaining() > fault.offset()) {
                        buffer.limit(buffer.position() + (int)(fault.offset() - passed));
                        write(to, buffer);
                        fire(from, to);
                        return;
                    }
                    passed += buffer.remaining();
                    write(to, buffer);
                }
                to.shutdownOutput();
            } catch (final IOException ignore) {
                // cut or closed
            }
        }, "test-fault-pump");
        thread.setDaemon(true);
        thread.start();
    }

    private void fire(final SocketChannel from, final SocketChannel to) throws IOException {
        firedNs = System.nanoTime();
        if (fault.kind() == Kind.CUT) {
            from.close();
            to.close();
        }
        // STALL: stop forwarding; both sockets stay open until the peers give up or the proxy closes.
    }

    private static void write(final SocketChannel to, final ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            to.write(buffer);
        }
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
