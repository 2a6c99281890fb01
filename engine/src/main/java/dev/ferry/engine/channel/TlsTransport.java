package dev.ferry.engine.channel;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ScatteringByteChannel;
import java.nio.channels.SocketChannel;
import java.util.concurrent.locks.ReentrantLock;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLException;

/**
 * TLS over one blocking socket, through an {@link SSLEngine}: the handshake, then encrypted gathering writes and
 * decrypted scattering reads, every buffer made once per connection (no allocation per packet).
 * <p>
 * Writes encrypt straight from the caller's buffers (views of guest memory) into a buffer of several records, one
 * socket write per several records. Reads unwrap straight into the caller's buffers when they have room for a
 * whole record (a packet's pages: the JDK decrypts the record where it arrived and copies it out once), else into a
 * record-sized buffer that the next reads drain (headers, offsets), one more copy. One
 * thread reads and one writes at a time; a write lock also covers what the reader must send itself (a TLS 1.3
 * key update answer). No close_notify is sent: a close must never block, and Ferry's own messages (COMPLETE,
 * RESULT) say where a migration ends, so a truncation cannot pass for an end.
 */
final class TlsTransport {
    private static final ByteBuffer[] NOTHING = {ByteBuffer.allocate(0)};
    /** Records encrypted into one socket write. */
    private static final int RECORDS_PER_WRITE = 8;
    /** {@link #unwrap}'s answer when the caller's buffers cannot take the record whole. */
    private static final long NO_ROOM = -2;
    /** The content type of a TLS handshake record, the first byte a TLS client sends. */
    private static final int HANDSHAKE_RECORD = 0x16;

    private final SSLEngine engine;
    private final SocketChannel channel;
    private final ByteBuffer netIn;
    private final ByteBuffer netOut;
    private final ByteBuffer appIn;
    private final int recordBytes;
    private final ReentrantLock writeLock = new ReentrantLock();

    TlsTransport(final SSLEngine engine, final SocketChannel channel) {
        this.engine = engine;
        this.channel = channel;
        this.recordBytes = engine.getSession().getPacketBufferSize();
        this.netIn = ByteBuffer.allocateDirect(4 * recordBytes);
        this.netOut = ByteBuffer.allocateDirect(RECORDS_PER_WRITE * recordBytes);
        // As large as a whole record, not only its plaintext: BoringSSL's engine asks for room for the record's
        // ciphertext before it decrypts (the JDK's for the plaintext only).
        this.appIn = ByteBuffer.allocateDirect(recordBytes);
        appIn.limit(0);
    }

    SSLEngine engine() {
        return engine;
    }

    /** Runs the handshake to its end over {@code input} (the socket or a test decorator of it). */
    void handshake(final ScatteringByteChannel input) throws IOException {
        if (!engine.getUseClientMode()) {
            requireHandshakeRecord(input);
        }
        engine.beginHandshake();
        SSLEngineResult.HandshakeStatus status = engine.getHandshakeStatus();
        while (status != SSLEngineResult.HandshakeStatus.NOT_HANDSHAKING &&
            status != SSLEngineResult.HandshakeStatus.FINISHED) {
            switch (status) {
                case NEED_WRAP:
                    write(NOTHING, 0, 1);
                    break;
                case NEED_TASK:
                    runTasks();
                    break;
                default:
                    if (unwrap(input, null, 0, 0) < 0) {
                        throw new EOFException("closed by the peer during the TLS handshake");
                    }
            }
            status = engine.getHandshakeStatus();
        }
    }

    /**
     * A server's first check of a connection: its first byte must open a TLS handshake record. A peer that does not
     * speak TLS (a source without --tls-*, whose HELLO comes in the clear) is refused at once, as the JDK's engine
     * does; BoringSSL's would take Ferry's HELLO for an SSLv2 header and wait for the rest of a record that never
     * comes, until the first-bytes limit.
     */
    private void requireHandshakeRecord(final ScatteringByteChannel input) throws IOException {
        while (netIn.position() == 0) {
            if (input.read(netIn) < 0) {
                throw new EOFException("closed by the peer during the TLS handshake");
            }
        }
        final int first = netIn.get(0) & 0xFF;
        if (first != HANDSHAKE_RECORD) {
            throw new SSLException("Unsupported or unrecognized SSL message: the first byte is 0x" +
                Integer.toHexString(first) + ", not a TLS handshake record (0x16)");
        }
    }

    /** Encrypts and writes every remaining byte of {@code srcs[offset .. offset + length)}; returns them. */
    long write(final ByteBuffer[] srcs, final int offset, final int length) throws IOException {
        writeLock.lock();
        try {
            long plain = 0;
            do {
                netOut.clear();
                SSLEngineResult result;
                do {
                    result = engine.wrap(srcs, offset, length, netOut);
                    plain += result.bytesConsumed();
                    if (result.getStatus() == SSLEngineResult.Status.CLOSED) {
                        throw new SSLException("the TLS session is closed");
                    }
                    if (result.getHandshakeStatus() == SSLEngineResult.HandshakeStatus.NEED_TASK) {
                        runTasks();
                    }
                } while (result.getStatus() == SSLEngineResult.Status.OK && netOut.remaining() >= recordBytes &&
                    remaining(srcs, offset, length));
                netOut.flip();
                while (netOut.hasRemaining()) {
                    channel.write(netOut);
                }
            } while (remaining(srcs, offset, length));
            return plain;
        } finally {
            writeLock.unlock();
        }
    }

    /**
     * Reads and decrypts into {@code dsts[offset .. offset + length)} at least one byte; -1 at the end of the
     * stream (the peer closed).
     */
    long read(final ScatteringByteChannel input, final ByteBuffer[] dsts, final int offset, final int length)
        throws IOException {
        boolean direct = room(dsts, offset, length) >= recordBytes;
        while (true) {
            if (appIn.hasRemaining()) {
                return drain(dsts, offset, length);
            }
            final long produced = unwrap(input, direct ? dsts : null, offset, length);
            if (produced == NO_ROOM) {
                direct = false;
            } else if (produced != 0) {
                return produced;
            }
        }
    }

    /**
     * One unwrap of what {@code netIn} holds, reading the socket when it holds no whole record: into {@code dsts}
     * when given, else into {@link #appIn}. Returns the bytes it made readable (0 for a handshake record), -1 at
     * the end of the stream, {@link #NO_ROOM} when {@code dsts} cannot take the record.
     */
    private long unwrap(final ScatteringByteChannel input, final ByteBuffer[] dsts, final int offset, final int length)
        throws IOException {
        while (true) {
            netIn.flip();
            final SSLEngineResult result;
            try {
                if (null != dsts) {
                    result = engine.unwrap(netIn, dsts, offset, length);
                } else {
                    appIn.clear();
                    result = engine.unwrap(netIn, appIn);
                    appIn.flip();
                }
            } finally {
                netIn.compact();
            }
            switch (result.getStatus()) {
                case OK:
                    afterUnwrap(result);
                    return result.bytesProduced();
                case BUFFER_UNDERFLOW:
                    if (input.read(netIn) < 0) {
                        return -1;
                    }
                    break;
                case BUFFER_OVERFLOW:
                    if (null == dsts) {
                        throw new SSLException("a TLS record larger than the session's " + recordBytes + " bytes");
                    }
                    return NO_ROOM;
                default:
                    return -1;
            }
        }
    }

    /** What the engine asks for after a record: its delegated tasks, or an answer of its own (key update). */
    private void afterUnwrap(final SSLEngineResult result) throws IOException {
        SSLEngineResult.HandshakeStatus status = result.getHandshakeStatus();
        if (status == SSLEngineResult.HandshakeStatus.NEED_TASK) {
            runTasks();
            status = engine.getHandshakeStatus();
        }
        if (status == SSLEngineResult.HandshakeStatus.NEED_WRAP && engine.getSession().isValid()) {
            write(NOTHING, 0, 1);
        }
    }

    private long drain(final ByteBuffer[] dsts, final int offset, final int length) {
        long copied = 0;
        for (int i = offset; i < offset + length && appIn.hasRemaining(); i++) {
            final ByteBuffer dst = dsts[i];
            final int n = Math.min(dst.remaining(), appIn.remaining());
            if (n > 0) {
                final int limit = appIn.limit();
                appIn.limit(appIn.position() + n);
                dst.put(appIn);
                appIn.limit(limit);
                copied += n;
            }
        }
        return copied;
    }

    private void runTasks() {
        Runnable task;
        while (null != (task = engine.getDelegatedTask())) {
            task.run();
        }
    }

    private static boolean remaining(final ByteBuffer[] buffers, final int offset, final int length) {
        for (int i = offset; i < offset + length; i++) {
            if (buffers[i].hasRemaining()) {
                return true;
            }
        }
        return false;
    }

    private static long room(final ByteBuffer[] buffers, final int offset, final int length) {
        long room = 0;
        for (int i = offset; i < offset + length; i++) {
            room += buffers[i].remaining();
        }
        return room;
    }
}
