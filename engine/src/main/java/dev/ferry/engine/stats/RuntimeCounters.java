package dev.ferry.engine.stats;

import org.agrona.concurrent.status.AtomicCounter;
import org.agrona.concurrent.status.CountersManager;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A migration runtime's one counters file (role {@code runtime}): its own aggregates (migrations running in and out,
 * refused, bytes in and out) and the counters of every migration running on it, each labelled with its guest's name
 * and keyed with its role, so that {@code ferry stat} shows them all from one file. A migration's counters are freed
 * when it ends. Allocation is under this object's lock; values are written as in a file of one migration's own.
 */
public final class RuntimeCounters implements AutoCloseable {
    /** The role a counter's key names is read from its first {@value} bytes (zeros: the file's role). */
    public static final int KEY_ROLE_LENGTH = 16;

    private final CountersFile file;
    private final CountersManager manager;
    /** The counters of each migration running on the runtime, and whether it is incoming. */
    private final Map<Counters, Boolean> live = new ConcurrentHashMap<>();
    private final AtomicCounter runningIn;
    private final AtomicCounter runningOut;
    private final AtomicCounter refusedIn;
    private final AtomicCounter refusedOut;
    private final AtomicCounter bytesIn;
    private final AtomicCounter bytesOut;
    private long endedBytesIn;
    private long endedBytesOut;
    private long lastBytesIn;
    private long lastBytesOut;
    /** Counters the file holds in all, and those reserved: the aggregates' and each live migration's most. */
    private final int capacity;
    private int reserved;
    /** Once set, nothing here touches the file again (it may be unmapped): a late close or end is a no-op. */
    private boolean closed;

    /** A file in {@code directory} (null: in memory only) with room for {@code counters} counters. */
    public RuntimeCounters(final Path directory, final int counters) {
        this.file = null == directory ? CountersFile.inMemory("runtime", counters) :
            CountersFile.create(directory, "runtime", counters);
        this.manager = file.manager();
        this.capacity = counters;
        this.reserved = aggregates();
        this.runningIn = runtimeCounter(CounterDescriptor.RUNTIME_RUNNING_IN);
        this.runningOut = runtimeCounter(CounterDescriptor.RUNTIME_RUNNING_OUT);
        this.refusedIn = runtimeCounter(CounterDescriptor.RUNTIME_REFUSED_IN);
        this.refusedOut = runtimeCounter(CounterDescriptor.RUNTIME_REFUSED_OUT);
        this.bytesIn = runtimeCounter(CounterDescriptor.RUNTIME_BYTES_IN);
        this.bytesOut = runtimeCounter(CounterDescriptor.RUNTIME_BYTES_OUT);
    }

    CountersFile file() {
        return file;
    }

    /** The file, or null in memory. */
    public Path path() {
        return file.path();
    }

    /**
     * Counters for one side ({@code role}, "source" or "destination") of a migration of {@code guest} (null until
     * known) in this file, or in memory of their own if this file is full (then not published). Freed when closed.
     */
    public Counters session(final String role, final String guest, final int maxChannels) {
        final int needed = Counters.capacity(maxChannels);
        synchronized (this) {
            // Room is reserved for all a side may allocate, now or later (its channels at SETUP), so that a
            // migration that got a place here never finds the file full.
            if (closed || reserved + needed > capacity) {
                return new Counters(CountersFile.inMemory(role, needed));
            }
            reserved += needed;
            final Counters counters = new Counters(CounterSpace.within(this, role, guest, needed));
            live.put(counters, "destination".equals(role));
            return counters;
        }
    }

    /** Counters of a migration that ended: its bytes join the totals, it leaves the live set. */
    public synchronized void ended(final Counters counters) {
        final Boolean incoming = live.remove(counters);
        if (null != incoming && !closed) {
            if (incoming) {
                endedBytesIn += counters.transferred();
            } else {
                endedBytesOut += counters.transferred();
            }
        }
    }

    /** Publishes the aggregates: running, refused, bytes in and out (ended and live). */
    public synchronized void refresh(final int in, final int out, final long refusedIncoming,
        final long refusedOutgoing) {
        if (closed) {
            return;
        }
        runningIn.setRelease(in);
        runningOut.setRelease(out);
        refusedIn.setRelease(refusedIncoming);
        refusedOut.setRelease(refusedOutgoing);
        long liveIn = 0;
        long liveOut = 0;
        for (final Map.Entry<Counters, Boolean> running : live.entrySet()) {
            if (running.getValue()) {
                liveIn += running.getKey().transferred();
            } else {
                liveOut += running.getKey().transferred();
            }
        }
        lastBytesIn = endedBytesIn + liveIn;
        lastBytesOut = endedBytesOut + liveOut;
        bytesIn.setRelease(lastBytesIn);
        bytesOut.setRelease(lastBytesOut);
    }

    /** Bytes in as last published (and kept once closed). */
    public synchronized long bytesIn() {
        return lastBytesIn;
    }

    /** Bytes out as last published (and kept once closed). */
    public synchronized long bytesOut() {
        return lastBytesOut;
    }

    /** How many counters a runtime's own aggregates take. */
    public static int aggregates() {
        return CounterDescriptor.count(CounterDescriptor.Scope.RUNTIME);
    }

    private AtomicCounter runtimeCounter(final CounterDescriptor descriptor) {
        return allocate("runtime", descriptor.label(), descriptor.typeId());
    }

    synchronized AtomicCounter allocate(final String role, final String label, final int typeId) {
        final byte[] roleBytes = role.getBytes(StandardCharsets.US_ASCII);
        final int id = manager.allocate(label, typeId, key -> key.putBytes(0, roleBytes, 0,
            Math.min(KEY_ROLE_LENGTH, roleBytes.length)));
        return new AtomicCounter(manager.valuesBuffer(), id, manager);
    }

    synchronized void relabel(final AtomicCounter counter, final String label) {
        if (!closed) {
            manager.setCounterLabel(counter.id(), label);
        }
    }

    synchronized void free(final List<AtomicCounter> counters, final int reservation) {
        reserved -= reservation;
        if (closed) {
            return; // the runtime closed first: the file is gone with every counter in it
        }
        for (final AtomicCounter counter : counters) {
            counter.close(); // frees its slot in the manager
        }
    }

    /**
     * Removes the file once no migration that publishes in it still runs; if one does (it did not end in time), the
     * file stays mapped, so that its threads never write to unmapped memory. Either way nothing here touches it
     * again, and a migration's counters closed after this are not freed one by one. Idempotent.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (live.isEmpty()) {
            file.close();
        }
    }
}
