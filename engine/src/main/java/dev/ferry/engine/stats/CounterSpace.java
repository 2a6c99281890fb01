package dev.ferry.engine.stats;

import org.agrona.concurrent.status.AtomicCounter;

import java.util.ArrayList;
import java.util.List;

/**
 * Where one side of one migration allocates its counters: a {@link CountersFile} of its own (closed with it), or its
 * part of a runtime's shared file ({@link RuntimeCounters}), where each counter is labelled with the guest's name
 * and keyed with the side's role, and freed when the migration's counters close (the file lives on).
 */
public final class CounterSpace {
    private final CountersFile file;
    private final RuntimeCounters shared;
    private final String role;
    /** How many counters of the shared file are reserved for this side (0 for a file of its own). */
    private final int reservation;
    private final List<AtomicCounter> counters = new ArrayList<>();
    private final List<String> labels = new ArrayList<>();
    private String guest;
    private boolean closed;

    private CounterSpace(final CountersFile file, final RuntimeCounters shared, final String role, final String guest,
        final int reservation) {
        this.file = file;
        this.shared = shared;
        this.role = role;
        this.guest = guest;
        this.reservation = reservation;
    }

    /** A space that owns {@code file}: its counters are the file's, and closing removes it. */
    public static CounterSpace own(final CountersFile file) {
        return new CounterSpace(file, null, null, null, 0);
    }

    /**
     * A part of {@code shared}'s file for one side ({@code role}) of the migration of {@code guest} (or null), with
     * {@code reservation} counters reserved for it there.
     */
    static CounterSpace within(final RuntimeCounters shared, final String role, final String guest,
        final int reservation) {
        return new CounterSpace(shared.file(), shared, role, guest, reservation);
    }

    /** A new counter; thread-safe against the other migrations sharing the file. */
    synchronized AtomicCounter allocate(final String label, final int typeId) {
        if (null != shared && counters.size() >= reservation) {
            throw new IllegalStateException("a side allocating more counters than it reserved: " + reservation);
        }
        if (null == shared) {
            return new AtomicCounter(file.manager().valuesBuffer(), file.manager().allocate(label, typeId),
                file.manager());
        }
        final AtomicCounter counter = shared.allocate(role, labelled(label), typeId);
        counters.add(counter);
        labels.add(label);
        return counter;
    }

    /** The guest's name is known (a destination learns it at SETUP): shared counters are labelled with it. */
    synchronized void guest(final String name) {
        if (null == shared || name.equals(guest)) {
            return;
        }
        guest = name;
        for (int i = 0; i < counters.size(); i++) {
            shared.relabel(counters.get(i), labelled(labels.get(i)));
        }
    }

    private String labelled(final String label) {
        return (null == guest ? "?" : guest) + ": " + label;
    }

    /** Removes an own file; frees a shared part's counters (their slots may be reused). Once. */
    synchronized void close(final Counters owner) {
        if (closed) {
            return;
        }
        closed = true;
        if (null == shared) {
            file.close();
        } else {
            shared.ended(owner); // its bytes join the totals before its slots are freed, if its end was not told yet
            shared.free(counters, reservation);
            counters.clear();
        }
    }
}
