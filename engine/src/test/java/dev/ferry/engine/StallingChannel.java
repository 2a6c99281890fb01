package dev.ferry.engine;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.SplittableRandom;
import java.util.concurrent.locks.LockSupport;

/**
 * Reads a destination socket slowly and in fragments: every read takes at most {@code maxFragment} bytes, and now
 * and then the reader pauses for up to {@code maxPauseNs}. Unlike {@link DelayedDeliveryChannel}, which captures
 * bytes at once, this leaves them in the kernel: socket buffers fill and the source's sender blocks in its write,
 * so the source sees real backpressure and its senders stall.
 */
final class StallingChannel extends SocketReadWrapper {
    private final SplittableRandom random;
    private final int maxFragment;
    private final long maxPauseNs;

    StallingChannel(final SocketChannel socket, final long seed, final int maxFragment, final long maxPauseNs) {
        super(socket);
        this.random = new SplittableRandom(seed);
        this.maxFragment = maxFragment;
        this.maxPauseNs = maxPauseNs;
    }

    @Override
    public int read(final ByteBuffer dst) throws IOException {
        if (random.nextInt(64) == 0) {
            LockSupport.parkNanos(random.nextLong(maxPauseNs + 1));
        }
        final int limit = dst.limit();
        dst.limit(dst.position() + Math.min(dst.remaining(), 1 + random.nextInt(maxFragment)));
        try {
            return socket.read(dst);
        } finally {
            dst.limit(limit);
        }
    }
}
