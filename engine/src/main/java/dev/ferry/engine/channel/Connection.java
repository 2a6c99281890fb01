package dev.ferry.engine.channel;

import java.io.EOFException;
import java.io.IOException;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ScatteringByteChannel;
import java.nio.channels.SocketChannel;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;

/**
 * A blocking {@link SocketChannel} that counts every byte it writes and reads, with full-buffer read and write
 * loops. Closing it from any thread unblocks a thread blocked in it (the channel is interruptible and
 * asynchronously closeable).
 */
public final class Connection implements AutoCloseable {
    private final SocketChannel channel;
    private final String description;
    private final AtomicLong bytesWritten = new AtomicLong();
    private final AtomicLong bytesRead = new AtomicLong();
    private ScatteringByteChannel input;
    private TlsTransport tls;
    private final ByteBuffer[] readOne = new ByteBuffer[1];
    private final ByteBuffer[] writeOne = new ByteBuffer[1];

    public Connection(final SocketChannel channel, final String description) throws IOException {
        this.channel = channel;
        this.description = description;
        this.input = channel;
        channel.configureBlocking(true);
        if (channel.supportedOptions().contains(StandardSocketOptions.TCP_NODELAY)) {
            channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
        }
    }

    /**
     * Connects to {@code address} within {@code timeoutMs}: a TCP address, or a {@link UnixDomainSocketAddress}
     * (a local connect either succeeds or fails at once, so it has no timeout).
     */
    public static Connection connect(final SocketAddress address, final int timeoutMs, final String description)
        throws IOException {
        final boolean unix = address instanceof UnixDomainSocketAddress;
        final SocketChannel channel = unix ? SocketChannel.open(StandardProtocolFamily.UNIX) : SocketChannel.open();
        try {
            if (unix) {
                channel.connect(address);
            } else {
                channel.socket().connect(address, timeoutMs);
            }
            return new Connection(channel, description);
        } catch (final IOException ex) {
            channel.close();
            throw ex;
        }
    }

    /**
     * Whether the peer has sent bytes not yet read (the kernel's count, {@code FIONREAD}): a client that has
     * spoken, though no thread has read it yet. False when it cannot tell.
     */
    public boolean hasUnreadInput() {
        try {
            return channel.socket().getInputStream().available() > 0;
        } catch (final IOException | RuntimeException ex) {
            return false;
        }
    }

    /**
     * Runs the TLS handshake with {@code engine} (client or server mode set by the caller); every byte after it is
     * encrypted. A failure is an {@link SSLException} (or an {@link IOException} if the peer went away).
     */
    public void secure(final SSLEngine engine) throws IOException {
        final TlsTransport transport = new TlsTransport(engine, channel);
        transport.handshake(input);
        tls = transport;
    }

    /** Reads from now on through {@code decorated} (a test wrapper around this connection's socket). */
    public void decorateInput(final ScatteringByteChannel decorated) {
        this.input = decorated;
    }

    public SocketChannel socket() {
        return channel;
    }

    /** Where reads come from: the socket, or a decorator of it. */
    public ScatteringByteChannel input() {
        return input;
    }

    /** Writes all of {@code buffer}. */
    public void writeFully(final ByteBuffer buffer) throws IOException {
        if (null != tls) {
            writeOne[0] = buffer;
            writeFully(writeOne, 0, 1);
            return;
        }
        while (buffer.hasRemaining()) {
            addWritten(channel.write(buffer));
        }
    }

    /** Writes all remaining bytes of {@code buffers[offset .. offset + length)} with gathering writes. */
    public long writeFully(final ByteBuffer[] buffers, final int offset, final int length) throws IOException {
        if (null != tls) {
            final long written = tls.write(buffers, offset, length);
            addWritten(written);
            return written;
        }
        long total = 0;
        int first = offset;
        final int end = offset + length;
        while (first < end) {
            final long written = channel.write(buffers, first, end - first);
            total += written;
            while (first < end && !buffers[first].hasRemaining()) {
                first++;
            }
        }
        addWritten(total);
        return total;
    }

    /** Fills {@code buffer}; EOF before it is full throws {@link EOFException}. */
    public void readFully(final ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            final long read = read(buffer);
            if (read < 0) {
                throw new EOFException(description + " closed by peer");
            }
            addRead(read);
        }
    }

    private long read(final ByteBuffer buffer) throws IOException {
        if (null == tls) {
            return input.read(buffer);
        }
        readOne[0] = buffer;
        return tls.read(input, readOne, 0, 1);
    }

    /**
     * Fills {@code buffer} like {@link #readFully(ByteBuffer)}, but returns false if the peer closed the connection
     * cleanly before the first byte: the one place where EOF is a normal end.
     */
    public boolean readFullyOrEof(final ByteBuffer buffer) throws IOException {
        final int start = buffer.position();
        while (buffer.hasRemaining()) {
            final long read = read(buffer);
            if (read < 0) {
                if (buffer.position() == start) {
                    return false;
                }
                throw new EOFException(description + " closed by peer mid-message");
            }
            addRead(read);
        }
        return true;
    }

    /** Fills every buffer of {@code buffers[0 .. count)} with scattering reads. */
    public void readFully(final ByteBuffer[] buffers, final int count) throws IOException {
        int first = 0;
        while (first < count) {
            final long read = null == tls ? input.read(buffers, first, count - first) :
                tls.read(input, buffers, first, count - first);
            if (read < 0) {
                throw new EOFException(description + " closed by peer mid-packet");
            }
            addRead(read);
            while (first < count && !buffers[first].hasRemaining()) {
                first++;
            }
        }
    }

    /*
     * One thread writes a connection at a time (a data connection has one sender; main-channel sends are serialised
     * by MainChannel), and one reads it, so the counters are single-writer: an ordered store, not a locked add on
     * every read and write call of the hot path. Any thread may read them.
     */
    private void addWritten(final long bytes) {
        bytesWritten.lazySet(bytesWritten.get() + bytes);
    }

    private void addRead(final long bytes) {
        bytesRead.lazySet(bytesRead.get() + bytes);
    }

    public long bytesWritten() {
        return bytesWritten.get();
    }

    public long bytesRead() {
        return bytesRead.get();
    }

    public boolean isOpen() {
        return channel.isOpen();
    }

    /** Closes the socket (and its input decorator); never throws. */
    @Override
    public void close() {
        try {
            if (input != channel) {
                input.close();
            }
        } catch (final IOException ignore) {
            // closing the socket below is what matters.
        }
        try {
            channel.close();
        } catch (final IOException ignore) {
            // nothing more can be done with a socket that fails to close.
        }
    }

    @Override
    public String toString() {
        return description;
    }
}
