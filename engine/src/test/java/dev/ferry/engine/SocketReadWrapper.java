package dev.ferry.engine;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ScatteringByteChannel;
import java.nio.channels.SocketChannel;

/**
 * The plumbing of a test wrapper around a destination socket's input: scattering reads fill the first buffer
 * with room through {@link #read(ByteBuffer)}, which a subclass defines; closing closes the socket.
 */
abstract class SocketReadWrapper implements ScatteringByteChannel {
    protected final SocketChannel socket;

    SocketReadWrapper(final SocketChannel socket) {
        this.socket = socket;
    }

    @Override
    public long read(final ByteBuffer[] dsts, final int offset, final int length) throws IOException {
        for (int i = offset; i < offset + length; i++) {
            if (dsts[i].hasRemaining()) {
                return read(dsts[i]);
            }
        }
        return 0;
    }

    @Override
    public long read(final ByteBuffer[] dsts) throws IOException {
        return read(dsts, 0, dsts.length);
    }

    @Override
    public boolean isOpen() {
        return socket.isOpen();
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
