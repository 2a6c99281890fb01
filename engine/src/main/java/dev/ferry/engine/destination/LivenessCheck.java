package dev.ferry.engine.destination;

import dev.ferry.engine.ErrorCode;
import dev.ferry.engine.FerryException;
import dev.ferry.engine.channel.Connection;

import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * A source host that vanishes without closing its connections would leave every thread here blocked in a read for
 * as long as TCP keeps the connections: this fails the migration instead when nothing at all has arrived for the
 * idle timeout (the verification timeout while the source digests its memory, when silence is expected). It runs
 * on the watchdog's thread, which owns its fields, and only posts to the conductor.
 */
final class LivenessCheck implements Runnable {
    static final long PERIOD_MS = 250;

    private final Set<Connection> connections;
    private final LongSupplier limitMs;
    private final ReceiverHost conductor;
    private long lastBytes = -1;
    private long lastChangeNs;

    LivenessCheck(final Set<Connection> connections, final LongSupplier limitMs, final ReceiverHost conductor) {
        this.connections = connections;
        this.limitMs = limitMs;
        this.conductor = conductor;
    }

    @Override
    public void run() {
        long bytes = 0;
        for (final Connection connection : connections) {
            bytes += connection.bytesRead();
        }
        final long nowNs = System.nanoTime();
        if (bytes != lastBytes) {
            lastBytes = bytes;
            lastChangeNs = nowNs;
            return;
        }
        final long limit = limitMs.getAsLong();
        if (nowNs - lastChangeNs > TimeUnit.MILLISECONDS.toNanos(limit) && !conductor.isFinished()) {
            lastChangeNs = nowNs;
            conductor.fail(new FerryException(ErrorCode.TIMEOUT, "nothing from the source for " + limit + " ms"));
        }
    }
}
