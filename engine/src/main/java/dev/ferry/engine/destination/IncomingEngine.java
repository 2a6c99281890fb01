package dev.ferry.engine.destination;

import dev.ferry.engine.ErrorCode;
import dev.ferry.engine.FerryException;
import dev.ferry.engine.MemoryFactory;
import dev.ferry.engine.channel.Connection;
import dev.ferry.engine.channel.Watchdog;
import dev.ferry.engine.conductor.Lifecycle;
import dev.ferry.engine.conductor.MigrationEngine;
import dev.ferry.engine.protocol.Protocol;
import dev.ferry.engine.stats.CounterDescriptor;
import dev.ferry.engine.stats.Counters;
import dev.ferry.engine.stats.CountersFile;
import dev.ferry.engine.stats.RuntimeCounters;

import java.io.IOException;
import java.net.SocketAddress;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

/**
 * A destination that receives many migrations at once through one listening endpoint: one door ({@link Admission},
 * up to {@code maxIncoming} sessions; a main channel past them is answered BUSY), and per session today's
 * destination conductor with its own counters and watchdog, reaching the door through its {@link SessionView}. A
 * guest's name is taken by one session at a time: a second source naming a guest being received is refused at SETUP.
 * Sessions are independent: one that fails or is cancelled leaves the others running.
 */
public final class IncomingEngine implements DoorHost, AutoCloseable {

    private final DestinationConfig config;
    private final DestinationHooks hooks;
    private final RuntimeCounters shared;
    private final Watchdog watchdog;
    private final Counters doorCounters;
    private final Admission admission;
    private final Map<String, DestinationConductor> running = new ConcurrentHashMap<>();
    private final Set<String> namesInUse = ConcurrentHashMap.newKeySet();
    private final BlockingQueue<MigrationEngine> begun = new LinkedBlockingQueue<>();
    private final List<IncomingSession> sessions = new CopyOnWriteArrayList<>();
    private volatile boolean closing;

    /**
     * Binds {@code config.listen()} for up to {@code maxIncoming} migrations at once and {@code totalIncoming} in all
     * (then every source is answered busy); throws if it cannot bind.
     */
    public IncomingEngine(final DestinationConfig config, final DestinationHooks hooks, final int maxIncoming,
        final long totalIncoming) throws IOException {
        this(config, hooks, maxIncoming, totalIncoming, null);
    }

    /**
     * As above, each session publishing its counters in {@code shared} (a runtime's one file; null: a file of its
     * own in the Context's counters directory, as a single destination does).
     */
    public IncomingEngine(final DestinationConfig config, final DestinationHooks hooks, final int maxIncoming,
        final long totalIncoming, final RuntimeCounters shared) throws IOException {
        if (maxIncoming < 1 || totalIncoming < 1) {
            throw new FerryException(ErrorCode.CONFIGURATION, "max incoming " + maxIncoming + " and total " +
                totalIncoming + " must be >= 1");
        }
        final SessionRules rules = new SessionRules(maxIncoming);
        rules.limitTotal(totalIncoming);
        this.config = config;
        this.hooks = hooks;
        this.shared = shared;
        this.watchdog = new Watchdog(config.threadFactory());
        this.doorCounters = new Counters(CountersFile.inMemory("destination", Counters.capacity(0)));
        try {
            this.admission = new Admission(config, watchdog, this,
                doorCounters.allocate(CounterDescriptor.REJECTED_CONNECTIONS), rules);
        } catch (final IOException ex) {
            watchdog.close();
            doorCounters.close();
            throw ex;
        }
    }

    public SocketAddress localAddress() {
        return admission.localAddress();
    }

    /** Connections refused at the door so far. */
    public long rejectedConnections() {
        return admission.rejected();
    }

    /** The next migration whose source's main channel came in, or null after {@code timeoutMs}. */
    public MigrationEngine next(final long timeoutMs) throws InterruptedException {
        return begun.poll(timeoutMs, TimeUnit.MILLISECONDS);
    }

    @Override
    public void serveMain(final Connection connection, final byte[] sessionId) {
        final DestinationConductor conductor = begin(sessionId);
        if (null == conductor) {
            connection.close(); // closing: the door is about to refuse everything
            return;
        }
        conductor.serveMain(connection, sessionId);
    }

    /** A new session's conductor, started; null once closing. Under the lock close() takes: none slips past it. */
    private synchronized DestinationConductor begin(final byte[] sessionId) {
        if (closing) {
            return null;
        }
        final SessionDoor door = admission.session(sessionId);
        final Counters counters = null != shared ? shared.session("destination", null, door.channelCount()) :
            ownCounters();
        final DestinationConductor conductor = new DestinationConductor(config, hooks, counters,
            new Watchdog(config.threadFactory()));
        final AtomicReference<String> claimed = new AtomicReference<>();
        conductor.memoryFor(oneSessionPerName(config.memoryFor(), claimed));
        conductor.admission(door);
        final String key = HexFormat.of().formatHex(sessionId);
        final IncomingSession session = new IncomingSession(conductor, counters);
        running.put(key, conductor);
        sessions.add(session);
        conductor.result().whenComplete((result, failure) -> {
            // Its receivers are joined and its watchdog closed by now: nothing of it stays (a receiver that runs for
            // days keeps no finished session); its result keeps the final statistics.
            running.remove(key);
            final String name = claimed.get();
            if (null != name) {
                namesInUse.remove(name); // whether SETUP went on to succeed or was refused
            }
            sessions.remove(session);
            if (null != shared) {
                shared.ended(counters); // its bytes join the runtime's totals before its counters are freed
            }
            session.close();
        });
        final Thread thread = config.threadFactory().newThread(conductor);
        thread.setName("ferry-destination-conductor");
        thread.start();
        begun.add(session);
        return conductor;
    }

    private Counters ownCounters() {
        final int capacity = Counters.capacity(Protocol.MAX_CHANNELS);
        return new Counters(null == config.countersDirectory() ? CountersFile.inMemory("destination", capacity) :
            CountersFile.create(config.countersDirectory(), "destination", capacity));
    }

    /** Sessions running now. */
    public int running() {
        return running.size();
    }

    @Override
    public void serveData(final Connection connection, final byte[] sessionId, final int index) {
        final DestinationConductor conductor = running.get(HexFormat.of().formatHex(sessionId));
        if (null == conductor) {
            connection.close(); // its session ended between the handshake and now
            return;
        }
        conductor.serveData(connection, sessionId, index);
    }

    /** Whether an incoming migration holds the guest name {@code name} now: from its SETUP until it ends. */
    public boolean receiving(final String name) {
        return namesInUse.contains(name);
    }

    /** A guest's name is taken by one session until it ends: a second source naming it is refused at its SETUP. */
    private Function<String, MemoryFactory> oneSessionPerName(final Function<String, MemoryFactory> memoryFor,
        final AtomicReference<String> claimed) {
        return name -> {
            if (!namesInUse.add(name)) {
                throw new FerryException(ErrorCode.CONFIGURATION, "a guest named '" + name + "' is being received " +
                    "already");
            }
            claimed.set(name);
            final MemoryFactory factory;
            try {
                factory = memoryFor.apply(name);
            } catch (final RuntimeException ex) {
                namesInUse.remove(name);
                claimed.set(null);
                throw ex;
            }
            if (null == factory) {
                namesInUse.remove(name);
                claimed.set(null);
            }
            return factory;
        };
    }

    /** Takes no new session from now on (BUSY, "draining"); those that run go on. */
    public void drain() {
        admission.drain();
    }

    /** Stops taking migrations, cancels those that run, waits for them and releases everything. */
    @Override
    public void close() {
        synchronized (this) {
            closing = true;
        }
        for (final IncomingSession session : sessions) {
            session.close(); // each source is told it was cancelled, before the door closes under it
        }
        admission.close(Lifecycle.CLOSE_WAIT_MS);
        watchdog.close();
        doorCounters.close();
    }
}
