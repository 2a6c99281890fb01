package dev.ferry.engine.destination;

import dev.ferry.engine.channel.Connection;
import dev.ferry.engine.stats.Counters;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The data channels' receivers: each runs on the thread that authenticated its connection, and the conductor joins
 * them all before guest memory is closed.
 */
final class ReceiverGroup {
    private final DestinationHooks hooks;
    private final ReceiverHost conductor;
    private final Counters counters;
    private final List<Thread> threads = new CopyOnWriteArrayList<>();

    ReceiverGroup(final DestinationHooks hooks, final ReceiverHost conductor, final Counters counters) {
        this.hooks = hooks;
        this.conductor = conductor;
        this.counters = counters;
    }

    /** Serves data channel {@code index} of {@code session} on this thread until it ends. */
    void serve(final Connection connection, final int index, final SessionSetup session) {
        threads.add(Thread.currentThread());
        if (null != hooks.channelDecorator()) {
            connection.decorateInput(hooks.channelDecorator().decorate(index, connection.socket()));
        }
        if (conductor.isFinished() || null == session) {
            connection.close();
            return;
        }
        new ChannelReceiver(conductor, index, connection, session, counters, hooks.pageApplyListener()).run();
    }

    /** Waits up to {@code timeoutMs} in all for every receiver but the caller; true if all ended. */
    boolean join(final long timeoutMs) {
        return DoorThreads.joinAll(threads, timeoutMs);
    }
}
