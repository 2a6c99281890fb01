package dev.ferry.engine.destination;

import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Who makes room when the handshake slots are full: never the newcomer, never a connection inside its turn (and so
 * never the real source, whose turns are short), never one that has authenticated (it has left the slots); and who
 * waits: only behind connections of its own address.
 */
final class HandshakeSlotsTest {
    private static final long TURN = 100;

    private final Set<String> unread = ConcurrentHashMap.newKeySet();

    private HandshakeSlots<String> slots(final int capacity, final int maxParked) {
        return new HandshakeSlots<>(capacity, maxParked, TURN, unread::contains);
    }

    private static HandshakeSlots.Slot<String> slot(final String name, final String address) throws Exception {
        return new HandshakeSlots.Slot<>(name, InetAddress.getByName(address));
    }

    private static void assertPlaced(final HandshakeSlots.Slot<String> slot, final HandshakeSlots.Slot<String> cut,
        final HandshakeSlots.Placement<String> placement) {
        assertSame(slot, placement.placed(), "placed");
        assertSame(cut, placement.cut(), "cut");
    }

    private static void assertParked(final HandshakeSlots.Placement<String> placement) {
        assertNull(placement.placed(), "placed");
        assertNull(placement.cut(), "cut");
    }

    @Test
    void aFullHouseDisplacesOnlyAConnectionPastItsTurnTheLongestIntoItFirst() throws Exception {
        final HandshakeSlots<String> slots = slots(4, 8);
        final HandshakeSlots.Slot<String> a = slot("a", "10.0.0.1");
        final HandshakeSlots.Slot<String> b = slot("b", "10.0.0.2");
        final HandshakeSlots.Slot<String> c = slot("c", "10.0.0.3");
        final HandshakeSlots.Slot<String> d = slot("d", "10.0.0.4");
        long now = 1_000;
        for (final HandshakeSlots.Slot<String> s : List.of(a, b, c, d)) {
            assertPlaced(s, null, slots.arrive(s, now));
            now += 10;
        }
        final HandshakeSlots.Slot<String> e = slot("e", "10.0.0.5");
        assertParked(slots.arrive(e, 1_050));
        assertEquals(List.of(), slots.promote(1_060), "every one inside its first turn");
        a.serverTurn();
        b.clientTurn(1_060);
        unread.add("c");
        final List<HandshakeSlots.Placement<String>> promoted = slots.promote(1_140);
        assertEquals(1, promoted.size());
        assertPlaced(e, d, promoted.get(0));
        assertEquals(HandshakeSlots.Cut.DISPLACED, promoted.get(0).why(), "a (server's turn), b (its PROOF turn" +
            " began at 1060), c (bytes waiting) are protected: d, past its first turn, is displaced");
        final HandshakeSlots.Slot<String> f = slot("f", "10.0.0.6");
        assertParked(slots.arrive(f, 1_150));
        unread.clear();
        assertPlaced(f, c, slots.promote(1_165).get(0));
        assertFalse(slots.release(c), "a displaced slot is gone already");
        assertTrue(slots.release(b), "b proved the secret: it leaves the slots");
        assertEquals(3, slots.size());
        final HandshakeSlots.Slot<String> g = slot("g", "10.0.0.7");
        assertPlaced(g, null, slots.arrive(g, 1_170));
    }

    @Test
    void anAddressHoldingHalfTheSlotsDisplacesOnlyItsOwnAndWaitsBehindItsOwn() throws Exception {
        final HandshakeSlots<String> slots = slots(4, 8);
        final HandshakeSlots.Slot<String> first = slot("attacker 1", "10.0.0.2");
        final HandshakeSlots.Slot<String> source = slot("source", "10.0.0.1");
        final HandshakeSlots.Slot<String> second = slot("attacker 2", "10.0.0.2");
        assertPlaced(first, null, slots.arrive(first, 1_000));
        assertPlaced(source, null, slots.arrive(source, 1_001));
        assertPlaced(second, null, slots.arrive(second, 1_002));
        final HandshakeSlots.Slot<String> third = slot("attacker 3", "10.0.0.2");
        final HandshakeSlots.Slot<String> fourth = slot("attacker 4", "10.0.0.2");
        assertParked(slots.arrive(third, 1_050));
        assertParked(slots.arrive(fourth, 1_200));
        unread.addAll(List.of("attacker 3", "attacker 4"));
        final HandshakeSlots.Slot<String> other = slot("another", "10.0.0.3");
        assertPlaced(other, null, slots.arrive(other, 1_201));
        final List<HandshakeSlots.Placement<String>> promoted = slots.promote(1_202);
        assertEquals(2, promoted.size(), "both attackers' turns are over, in the order they came");
        assertPlaced(third, first, promoted.get(0));
        assertPlaced(fourth, second, promoted.get(1));
        assertEquals(4, slots.size(), "the source's slot is untouched: it is not its address's that are over cap");
    }

    /** A trickle does not extend a turn: only the whole HELLO ends the first turn. */
    @Test
    void aTrickleStaysInItsFirstTurnAndIsDisplacedWhenItEnds() throws Exception {
        final HandshakeSlots<String> slots = slots(2, 8);
        final HandshakeSlots.Slot<String> trickle = slot("trickle", "10.0.0.1");
        final HandshakeSlots.Slot<String> other = slot("other", "10.0.0.2");
        assertPlaced(trickle, null, slots.arrive(trickle, 1_000));
        assertPlaced(other, null, slots.arrive(other, 1_000));
        other.serverTurn();
        final HandshakeSlots.Slot<String> newcomer = slot("newcomer", "10.0.0.3");
        assertParked(slots.arrive(newcomer, 1_010));
        for (long t = 1_010; t < 1_100; t += 10) {
            unread.add("trickle");
            assertEquals(List.of(), slots.promote(t), "a byte waits to be read at " + t);
            unread.remove("trickle");
        }
        assertPlaced(newcomer, trickle, slots.promote(1_100).get(0));
    }

    /** The parked from the address holding the fewest slots go first: an attacker's queue delays only its own. */
    @Test
    void theAddressHoldingFewestSlotsIsPromotedFirst() throws Exception {
        final HandshakeSlots<String> slots = slots(2, 8);
        final HandshakeSlots.Slot<String> attacker = slot("attacker", "10.0.0.2");
        final HandshakeSlots.Slot<String> other = slot("other", "10.0.0.3");
        assertPlaced(attacker, null, slots.arrive(attacker, 1_000));
        assertPlaced(other, null, slots.arrive(other, 1_000));
        other.serverTurn();
        final HandshakeSlots.Slot<String> queued = slot("attacker queued", "10.0.0.2");
        final HandshakeSlots.Slot<String> source = slot("source", "10.0.0.1");
        assertParked(slots.arrive(queued, 1_010));
        assertParked(slots.arrive(source, 1_020));
        final List<HandshakeSlots.Placement<String>> promoted = slots.promote(1_100);
        assertEquals(1, promoted.size());
        assertPlaced(source, attacker, promoted.get(0));
        assertEquals(1, slots.parked());
    }

    @Test
    void aFullLotOfTalkersDropsTheNewestOfTheAddressWithTheMostWaiting() throws Exception {
        final HandshakeSlots<String> slots = slots(2, 3);
        final HandshakeSlots.Slot<String> x = slot("x", "10.0.0.2");
        assertPlaced(x, null, slots.arrive(x, 1_000));
        final HandshakeSlots.Slot<String> a1 = slot("a1", "10.0.0.2");
        final HandshakeSlots.Slot<String> a2 = slot("a2", "10.0.0.2");
        final HandshakeSlots.Slot<String> b1 = slot("b1", "10.0.0.3");
        assertPlaced(b1, null, slots.arrive(b1, 1_000));
        for (final HandshakeSlots.Slot<String> s : List.of(a1, a2)) {
            assertParked(slots.arrive(s, 1_010));
        }
        final HandshakeSlots.Slot<String> b2 = slot("b2", "10.0.0.3");
        assertParked(slots.arrive(b2, 1_010));
        unread.addAll(List.of("a1", "a2", "b2"));
        final HandshakeSlots.Slot<String> source = slot("source", "10.0.0.1");
        final HandshakeSlots.Placement<String> room = slots.arrive(source, 1_020);
        assertNull(room.placed());
        assertSame(a2, room.cut(), "the newest of 10.0.0.2, which has the most waiting");
        assertEquals(HandshakeSlots.Cut.LOT_FULL, room.why());
        unread.add("source");
        final HandshakeSlots.Slot<String> a3 = slot("a3", "10.0.0.2");
        assertSame(a3, slots.arrive(a3, 1_030).cut(), "its own address has as many waiting as any: refused");
        assertEquals(3, slots.parked());
        final List<HandshakeSlots.Slot<String>> left = slots.close();
        assertEquals(List.of(a1, b2, source), left);
        final HandshakeSlots.Slot<String> late = slot("late", "10.0.0.4");
        assertSame(late, slots.arrive(late, 1_040).cut());
        assertEquals(HandshakeSlots.Cut.CLOSED, slots.arrive(late, 1_040).why());
    }

    /** Idle connections (nothing sent for a whole turn) are dropped from the lot; silent ones go first for room. */
    @Test
    void idleParkedConnectionsAreDroppedAfterATurnAndFirstWhenRoomIsNeeded() throws Exception {
        final HandshakeSlots<String> slots = slots(2, 3);
        final HandshakeSlots.Slot<String> held = slot("held", "10.0.0.2");
        assertPlaced(held, null, slots.arrive(held, 1_000));
        held.serverTurn();
        final HandshakeSlots.Slot<String> idle = slot("idle", "10.0.0.2");
        final HandshakeSlots.Slot<String> talker = slot("talker", "10.0.0.2");
        final HandshakeSlots.Slot<String> late = slot("late", "10.0.0.2");
        assertParked(slots.arrive(idle, 1_000));
        assertParked(slots.arrive(talker, 1_000));
        assertParked(slots.arrive(late, 1_050));
        unread.add("talker");
        final HandshakeSlots.Slot<String> source = slot("source", "10.0.0.2");
        final HandshakeSlots.Placement<String> room = slots.arrive(source, 1_060);
        assertSame(idle, room.cut(), "the lot is full: the oldest silent one makes room, not the newcomer");
        assertEquals(HandshakeSlots.Cut.LOT_FULL, room.why());
        final List<HandshakeSlots.Placement<String>> promoted = slots.promote(1_150);
        assertEquals(1, promoted.size());
        assertSame(late, promoted.get(0).cut(), "late sent nothing since 1050: dropped, though no slot is free");
        assertEquals(List.of(talker, source), slots.close(), "the one that spoke waits on");
    }
}
