package dev.ferry.engine.destination;

import org.junit.jupiter.api.Test;

import java.net.InetAddress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

/** Who makes room when the handshake slots are full: never the newcomer. */
final class HandshakeSlotsTest {
    private static HandshakeSlots.Slot<String> slot(final String name, final String address, final long at)
        throws Exception {
        return new HandshakeSlots.Slot<>(name, InetAddress.getByName(address), at);
    }

    @Test
    void aFullHouseDropsASilentConnectionBeforeOneThatTalkedThenTheOldest() throws Exception {
        final HandshakeSlots<String> slots = new HandshakeSlots<>(4);
        final HandshakeSlots.Slot<String> a = slot("a", "10.0.0.1", 1);
        final HandshakeSlots.Slot<String> b = slot("b", "10.0.0.2", 2);
        final HandshakeSlots.Slot<String> c = slot("c", "10.0.0.3", 3);
        final HandshakeSlots.Slot<String> d = slot("d", "10.0.0.4", 4);
        for (final HandshakeSlots.Slot<String> s : new HandshakeSlots.Slot[] {a, b, c, d}) {
            assertNull(slots.take(s));
        }
        a.helloRead = true;
        c.helloRead = true;
        assertSame(b, slots.take(slot("e", "10.0.0.5", 5)), "the oldest silent one, not the oldest");
        assertSame(d, slots.take(slot("f", "10.0.0.6", 6)));
        assertFalse(slots.release(b), "a displaced slot is gone already");
        slots.release(slot("x", "10.0.0.9", 9));
        assertEquals(4, slots.size());
    }

    @Test
    void anAddressHoldingHalfTheSlotsDisplacesItsOwn() throws Exception {
        final HandshakeSlots<String> slots = new HandshakeSlots<>(4);
        final HandshakeSlots.Slot<String> source = slot("source", "10.0.0.1", 1);
        final HandshakeSlots.Slot<String> first = slot("attacker 1", "10.0.0.2", 2);
        final HandshakeSlots.Slot<String> second = slot("attacker 2", "10.0.0.2", 3);
        assertNull(slots.take(source));
        assertNull(slots.take(first));
        assertNull(slots.take(second));
        source.helloRead = true;
        assertSame(first, slots.take(slot("attacker 3", "10.0.0.2", 4)), "its own oldest, though a slot is free");
        assertEquals(3, slots.size());
        assertNull(slots.take(slot("another", "10.0.0.3", 5)));
        assertEquals(4, slots.size());
    }
}
