package dev.ferry.engine.destination;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * The destination's handshake slots, built so that nobody can hold them hostage, not even from the real source's
 * own address. Only connections that have not yet authenticated hold a slot: a connection takes one when accepted
 * and gives it back the moment it proves the secret (or its TLS identity), so an authenticated connection is never
 * displaced by one that has not.
 * <p>
 * A real client does its part of the handshake at once: its HELLO follows the connect, its PROOF follows the
 * CHALLENGE, each within a round trip. So a connection is <em>protected</em> while it is the server's turn (its
 * bytes are waiting to be read, or the server is answering) and for {@link #turnNs} of each of the client's turns;
 * the clock of a turn starts when the turn does and is not restarted by a byte that does not finish it (a trickle).
 * A newcomer takes a free slot, or displaces the connection longest into its turn among those no longer protected:
 * only its own address's when that address already holds {@link #perAddressCap} slots, any otherwise.
 * <p>
 * When every candidate is protected the newcomer is <em>parked</em> (accepted, no thread) behind its address's
 * earlier arrivals, and {@link #promote} places parked connections as slots free or protections end: the address
 * holding the fewest slots first, each address in the order its connections came. Neither refusing the newcomer nor
 * displacing a protected connection would hold: the first lets an attacker who keeps the slots full refuse the real
 * source (which may share its address), the second lets an attacker who reconnects the moment it is cut run a chain
 * of displacements that reaches the real source's handshake within milliseconds. Parking bounds the displacements an
 * address can cause to {@link #perAddressCap} per turn, a real handshake finishes well inside its turn, and an
 * attacker's queue delays only connections of its own address. A parked connection that has sent nothing for a
 * whole turn is no client (a real one sends its HELLO at once): it is dropped then. When {@link #maxParked} are
 * parked, the oldest parked connection that has sent nothing makes room; if every one has spoken, the newest parked
 * connection of the address with the most parked (or the newcomer, if that address is its own). So idle
 * connections, however many, cost a real source a turn or two. Thread-safe; choices are linear scans.
 *
 * @param <T> what a slot holds (a connection).
 */
final class HandshakeSlots<T> {
    /** {@link Slot#turnStartNs} while it is the server's turn. */
    static final long SERVER_TURN = Long.MIN_VALUE;

    /** One connection in handshake, or parked until it may start one. */
    static final class Slot<T> {
        final T holder;
        final Object address;
        /** When it arrived (was accepted); guarded by the slots' lock, as is {@link #spoke}. */
        long arrivedNs;
        /** While parked: its peer has been seen to send something (bytes do not un-arrive). */
        boolean spoke;
        /** When the slot was taken: the handshake's deadlines count from here. Set before the holder's thread starts. */
        long placedNs;
        /** When the client's current turn began (the slot was taken, the CHALLENGE sent), or SERVER_TURN. */
        volatile long turnStartNs;

        /** {@code address} identifies the peer's host (an {@code InetAddress}; one key for all Unix-domain peers). */
        Slot(final T holder, final Object address) {
            this.holder = holder;
            this.address = address;
        }

        /** The client has sent its part (a whole HELLO): the server's turn until {@link #clientTurn}. */
        void serverTurn() {
            turnStartNs = SERVER_TURN;
        }

        /** The server has answered (the CHALLENGE is sent): the client's turn from {@code nowNs}. */
        void clientTurn(final long nowNs) {
            turnStartNs = nowNs;
        }
    }

    /** Why a connection is to be cut off without a handshake of its own. */
    enum Cut {
        /** It was in handshake, past its turn, and a newcomer took its slot. */
        DISPLACED,
        /** It was parked and has sent nothing for a whole turn. */
        IDLE,
        /** The lot was full, and it was parked, silent or else the newest of the address with the most parked. */
        LOT_FULL,
        /** The slots are closed. */
        CLOSED
    }

    /**
     * What became of an arrival: {@code placed} (the newcomer, or a parked connection promoted) takes a slot now and
     * needs a thread; {@code cut}, if not null, is to be cut off for {@code why}. Both null: the newcomer is parked.
     */
    record Placement<T>(Slot<T> placed, Slot<T> cut, Cut why) {
    }

    private final int capacity;
    private final int perAddressCap;
    private final int maxParked;
    private final long turnNs;
    private final Predicate<T> unread;
    private final List<Slot<T>> slots = new ArrayList<>();
    private final List<Slot<T>> parked = new ArrayList<>();
    private boolean closed;

    /**
     * {@code capacity} slots, of which one address may hold half (at least one); at most {@code maxParked} parked; a
     * client's turn is protected for {@code turnNs}; {@code unread} tells whether a holder's peer has sent bytes its
     * thread has not read yet (the server's turn, though no thread has looked: under a flood a real client's HELLO
     * can wait in the kernel while its thread starts).
     */
    HandshakeSlots(final int capacity, final int maxParked, final long turnNs, final Predicate<T> unread) {
        this.capacity = capacity;
        this.perAddressCap = Math.max(1, capacity / 2);
        this.maxParked = maxParked;
        this.turnNs = turnNs;
        this.unread = unread;
    }

    int perAddressCap() {
        return perAddressCap;
    }

    long turnNs() {
        return turnNs;
    }

    /** A newcomer at {@code nowNs}: placed (perhaps displacing another), parked behind its address's, or refused. */
    synchronized Placement<T> arrive(final Slot<T> slot, final long nowNs) {
        if (closed) {
            return new Placement<>(null, slot, Cut.CLOSED);
        }
        slot.arrivedNs = nowNs;
        if (parkedOf(slot.address) == 0) {
            final Placement<T> placement = place(slot, nowNs);
            if (null != placement) {
                return placement;
            }
        }
        if (parked.size() < maxParked) {
            parked.add(slot);
            return new Placement<>(null, null, null);
        }
        for (final Slot<T> waiting : parked) {
            if (!hasSpoken(waiting)) {
                parked.remove(waiting);
                parked.add(slot);
                return new Placement<>(null, waiting, Cut.LOT_FULL);
            }
        }
        final Object richest = mostParked();
        if (parkedOf(slot.address) >= parkedOf(richest)) {
            return new Placement<>(null, slot, Cut.LOT_FULL);
        }
        Slot<T> newest = null;
        for (final Slot<T> waiting : parked) {
            if (waiting.address.equals(richest)) {
                newest = waiting;
            }
        }
        parked.remove(newest);
        parked.add(slot);
        return new Placement<>(null, newest, Cut.LOT_FULL);
    }

    /**
     * Drops the parked connections idle for a whole turn, then places what parked connections it can at
     * {@code nowNs}, the address holding the fewest slots first, each address's in the order they came; returns the
     * placements (each a cut, or a connection placed that needs a thread, perhaps with a cut).
     */
    synchronized List<Placement<T>> promote(final long nowNs) {
        final List<Placement<T>> placements = new ArrayList<>();
        if (closed) {
            return placements;
        }
        for (final Iterator<Slot<T>> waiting = parked.iterator(); waiting.hasNext();) {
            final Slot<T> slot = waiting.next();
            if (isIdle(slot, nowNs)) {
                waiting.remove();
                placements.add(new Placement<>(null, slot, Cut.IDLE));
            }
        }
        boolean progress = true;
        while (progress && !parked.isEmpty()) {
            progress = false;
            final Map<Object, Slot<T>> heads = new LinkedHashMap<>();
            for (final Slot<T> waiting : parked) {
                heads.putIfAbsent(waiting.address, waiting);
            }
            final List<Slot<T>> order = new ArrayList<>(heads.values());
            order.sort((x, y) -> Integer.compare(countOf(x.address), countOf(y.address)));
            for (final Slot<T> head : order) {
                final Placement<T> placement = place(head, nowNs);
                if (null != placement) {
                    parked.remove(head);
                    placements.add(placement);
                    progress = true;
                    break;
                }
            }
        }
        return placements;
    }

    /** Gives {@code slot} back (its handshake ended, or it authenticated); false if it had been displaced already. */
    synchronized boolean release(final Slot<T> slot) {
        return slots.remove(slot);
    }

    /** No slot is given from now on; returns the parked connections, to be refused. */
    synchronized List<Slot<T>> close() {
        closed = true;
        final List<Slot<T>> left = new ArrayList<>(parked);
        parked.clear();
        return left;
    }

    synchronized int size() {
        return slots.size();
    }

    synchronized int parked() {
        return parked.size();
    }

    /** Takes a slot for {@code slot} if it can, displacing if it must; null if every candidate is protected. */
    private Placement<T> place(final Slot<T> slot, final long nowNs) {
        final boolean addressFull = countOf(slot.address) >= perAddressCap;
        Slot<T> displaced = null;
        if (addressFull || slots.size() >= capacity) {
            displaced = choose(addressFull ? slot.address : null, nowNs);
            if (null == displaced) {
                return null;
            }
            slots.remove(displaced);
        }
        slot.placedNs = nowNs;
        slot.turnStartNs = nowNs;
        slots.add(slot);
        return new Placement<>(slot, displaced, null == displaced ? null : Cut.DISPLACED);
    }

    /** A parked connection whose peer has sent nothing for a whole turn since it arrived. */
    private boolean isIdle(final Slot<T> slot, final long nowNs) {
        return nowNs - slot.arrivedNs >= turnNs && !hasSpoken(slot);
    }

    /** Whether a parked connection's peer has sent anything yet (asked of the kernel until it has). */
    private boolean hasSpoken(final Slot<T> slot) {
        if (!slot.spoke) {
            slot.spoke = unread.test(slot.holder);
        }
        return slot.spoke;
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

    private int parkedOf(final Object address) {
        int count = 0;
        for (final Slot<T> slot : parked) {
            if (slot.address.equals(address)) {
                count++;
            }
        }
        return count;
    }

    private Object mostParked() {
        final Map<Object, Integer> counts = new HashMap<>();
        Object most = null;
        int max = 0;
        for (final Slot<T> slot : parked) {
            final int count = counts.merge(slot.address, 1, Integer::sum);
            if (count > max) {
                max = count;
                most = slot.address;
            }
        }
        return most;
    }

    /**
     * The slot to drop: of {@code address} if given, not protected (neither the server's turn, nor bytes waiting to be
     * read, nor inside the client's turn), the longest into its turn; or null.
     */
    private Slot<T> choose(final Object address, final long nowNs) {
        Slot<T> best = null;
        long bestStartNs = 0;
        for (final Slot<T> slot : slots) {
            final long startNs = slot.turnStartNs;
            if (null != address && !slot.address.equals(address) || startNs == SERVER_TURN ||
                nowNs - startNs < turnNs || (null != best && startNs - bestStartNs >= 0) || unread.test(slot.holder)) {
                continue;
            }
            best = slot;
            bestStartNs = startNs;
        }
        return best;
    }
}
