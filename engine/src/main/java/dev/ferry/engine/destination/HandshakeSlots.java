package dev.ferry.engine.destination;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * The destination's handshake slots, built so that nobody can hold them hostage. A connection takes a slot when
 * accepted and gives it back when its handshake ends. When the slots are full, the newest connection is never the
 * one refused (the real source may come from the attacker's address): room is made by dropping a connection still
 * in handshake, chosen in this order:
 * <ol>
 *   <li>when the newcomer's address already holds {@link #perAddressCap} slots, that address's own connections;</li>
 *   <li>among the candidates, one that has not yet sent its first bytes (its HELLO: read, or waiting unread in the
 *   kernel) before one that has;</li>
 *   <li>then the oldest.</li>
 * </ol>
 * A real client sends its HELLO within one round trip of connecting, so idle connections are always dropped before
 * it; a flood from one address displaces that address's own connections first. Each slot holder is also cut by the
 * first-bytes deadline and the handshake deadline. Thread-safe; a handful of slots, so choices are linear scans.
 *
 * @param <T> what a slot holds (a connection).
 */
final class HandshakeSlots<T> {
    /** One connection in handshake. */
    static final class Slot<T> {
        final T holder;
        final Object address;
        final long acceptedNs;
        volatile boolean helloRead;

        /** {@code address} identifies the peer's host (an {@code InetAddress}; one key for all Unix-domain peers). */
        Slot(final T holder, final Object address, final long acceptedNs) {
            this.holder = holder;
            this.address = address;
            this.acceptedNs = acceptedNs;
        }
    }

    private final int capacity;
    private final int perAddressCap;
    private final Predicate<T> spoken;
    private final List<Slot<T>> slots = new ArrayList<>();

    /** {@code capacity} slots; one address may hold at most half of them (at least one) before it displaces itself. */
    HandshakeSlots(final int capacity) {
        this(capacity, holder -> false);
    }

    /**
     * As {@link #HandshakeSlots(int)}; {@code spoken} tells whether a holder's peer has sent bytes that its thread
     * has not read yet (under a flood a real client's HELLO can wait in the kernel while its thread starts: it must
     * count as talking, or a burst of silent newcomers displaces it first).
     */
    HandshakeSlots(final int capacity, final Predicate<T> spoken) {
        this.capacity = capacity;
        this.perAddressCap = Math.max(1, capacity / 2);
        this.spoken = spoken;
    }

    int perAddressCap() {
        return perAddressCap;
    }

    /**
     * Takes a slot for {@code holder}; returns the slot it displaced (whose holder the caller must cut off), or
     * null when there was room.
     */
    synchronized Slot<T> take(final Slot<T> slot) {
        Slot<T> displaced = null;
        if (countOf(slot.address) >= perAddressCap) {
            displaced = choose(slot.address);
        } else if (slots.size() >= capacity) {
            displaced = choose(null);
        }
        if (null != displaced) {
            slots.remove(displaced);
        }
        slots.add(slot);
        return displaced;
    }

    /** Gives {@code slot} back (its handshake ended); false if it had been displaced already. */
    synchronized boolean release(final Slot<T> slot) {
        return slots.remove(slot);
    }

    synchronized int size() {
        return slots.size();
    }

    private int countOf(final Object address) {
        int count = 0;
        for (final Slot<T> slot : slots) {
            if (slot.address.equals(address)) {
                count++;
            }
        }
        return count;
    }

    /** The slot to drop: of {@code address} if given, silent before talking, oldest first. */
    private Slot<T> choose(final Object address) {
        Slot<T> best = null;
        for (final Slot<T> slot : slots) {
            if (null != address && !slot.address.equals(address)) {
                continue;
            }
            if (null == best || better(slot, best)) {
                best = slot;
            }
        }
        return best;
    }

    private boolean better(final Slot<T> candidate, final Slot<T> best) {
        final boolean candidateTalked = talked(candidate);
        final boolean bestTalked = talked(best);
        if (candidateTalked != bestTalked) {
            return !candidateTalked;
        }
        return candidate.acceptedNs - best.acceptedNs < 0;
    }

    private boolean talked(final Slot<T> slot) {
        return slot.helloRead || spoken.test(slot.holder);
    }
}
