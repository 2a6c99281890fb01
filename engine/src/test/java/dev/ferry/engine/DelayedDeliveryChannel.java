package dev.ferry.engine;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SocketChannel;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.TimeUnit;
import java.util.function.LongUnaryOperator;

/**
 * Captures a socket's bytes early and delivers them late. A pump thread reads the socket promptly into private
 * copies (so with zero-copy sends the kernel has already taken the bytes the source had at write time) and stamps
 * each chunk with a delivery time of capture time plus a delay chosen per chunk; reads hand the bytes on, in order,
 * no earlier than that. Chunks are cut small, so a packet may arrive in fragments.
 */
final class DelayedDeliveryChannel extends SocketReadWrapper {
    private static final int MAX_CHUNK = 16 * 1024;

    private record Chunk(byte[] bytes, long deliverAtNs) {
    }

    private final LongUnaryOperator delayNsAt;
    private final LinkedBlockingDeque<Chunk> chunks = new LinkedBlockingDeque<>();
    private final Thread pump;
    private volatile IOException pumpFailure;
    private Chunk current;
    private int currentOffset;

    /** Wraps {@code socket}; {@code delayNsAt} gives the delay for bytes captured at a {@code System.nanoTime()}. */
    DelayedDeliveryChannel(final SocketChannel socket, final LongUnaryOperator delayNsAt, final String name) {
        super(socket);
        this.delayNsAt = delayNsAt;
        this.pump = new Thread(this::pump, "test-pump-" + name);
        this.pump.setDaemon(true);
        this.pump.start();
    }

    private void pump() {
        final ByteBuffer buffer = ByteBuffer.allocate(MAX_CHUNK);
        long lastDeliverAtNs = 0;
        try {
            while (true) {
                buffer.clear().limit(1 + (int)(Math.random() * MAX_CHUNK));
                final int read = socket.read(buffer);
                if (read < 0) {
                    break;
                }
                final long nowNs = System.nanoTime();
                lastDeliverAtNs = Math.max(lastDeliverAtNs, nowNs + delayNsAt.applyAsLong(nowNs));
                final byte[] bytes = new byte[read];
                buffer.flip().get(bytes);
                chunks.add(new Chunk(bytes, lastDeliverAtNs));
            }
        } catch (final IOException ex) {
            pumpFailure = ex;
        }
        chunks.add(new Chunk(new byte[0], 0));
    }

    @Override
    public int read(final ByteBuffer dst) throws IOException {
        return (int)read(new ByteBuffer[] {dst}, 0, 1);
    }

    @Override
    public long read(final ByteBuffer[] dsts, final int offset, final int length) throws IOException {
        if (!socket.isOpen()) {
            throw new ClosedChannelException();
        }
        if (null == current || currentOffset == current.bytes.length) {
            current = take();
            currentOffset = 0;
            if (current.bytes.length == 0) {
                chunks.addFirst(current);
                if (null != pumpFailure) {
                    throw pumpFailure;
                }
                return -1;
            }
        }
        final long waitNs = current.deliverAtNs - System.nanoTime();
        if (waitNs > 0) {
            try {
                TimeUnit.NANOSECONDS.sleep(waitNs);
            } catch (final InterruptedException ex) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("interrupted");
            }
        }
        long copied = 0;
        for (int i = offset; i < offset + length && currentOffset < current.bytes.length; i++) {
            final int n = Math.min(dsts[i].remaining(), current.bytes.length - currentOffset);
            dsts[i].put(current.bytes, currentOffset, n);
            currentOffset += n;
            copied += n;
        }
        return copied;
    }

    private Chunk take() throws IOException {
        try {
            while (true) {
                final Chunk chunk = chunks.poll(100, TimeUnit.MILLISECONDS);
                if (null != chunk) {
                    return chunk;
                }
                if (!socket.isOpen()) {
                    throw new ClosedChannelException();
                }
            }
        } catch (final InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted");
        }
    }
}
