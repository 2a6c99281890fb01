package dev.ferry.engine.destination;

import dev.ferry.engine.channel.Handshake;
import dev.ferry.engine.protocol.HandshakeFlyweight;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The door's rules for several sessions: places taken and given back, data channels routed by session. */
final class SessionRulesTest {
    private static final byte[] A = new byte[16];
    private static final byte[] B = {1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};

    @Test
    void aHandshakeThatFailsAfterItsAdmissionGivesItsPlaceBack() {
        final SessionRules rules = new SessionRules(1);
        assertEquals(HandshakeFlyweight.ACCEPT_OK, rules.admit(main(A)));
        rules.settle(false); // the ACCEPT could not be written: the peer reset
        assertEquals(HandshakeFlyweight.ACCEPT_OK, rules.admit(main(B)), "the place was given back");
        rules.settle(true);
        assertEquals(HandshakeFlyweight.ACCEPT_BUSY, rules.admit(main(A)), "one at a time");
        rules.sessionReady(B);
        assertEquals(HandshakeFlyweight.ACCEPT_OK, rules.admit(data(B, 0)));
        rules.settle(false);
        assertEquals(HandshakeFlyweight.ACCEPT_OK, rules.admit(data(B, 0)), "the channel was given back");
        rules.settle(true);
        assertEquals(HandshakeFlyweight.ACCEPT_DUPLICATE_CHANNEL, rules.admit(data(B, 0)));
        rules.end(B);
        assertEquals(HandshakeFlyweight.ACCEPT_NO_SESSION, rules.admit(data(B, 1)), "an ended session takes none");
        assertEquals(HandshakeFlyweight.ACCEPT_OK, rules.admit(main(A)), "and its place is free");
    }

    @Test
    void aTotalLimitAndTheSingleMigrationsDoor() {
        final SessionRules limited = new SessionRules(4);
        limited.limitTotal(1);
        assertEquals(HandshakeFlyweight.ACCEPT_OK, limited.admit(main(A)));
        limited.settle(true);
        limited.end(A);
        assertEquals(HandshakeFlyweight.ACCEPT_BUSY, limited.admit(main(B)), "one in all");
        final SessionRules once = new SessionRules(SessionRules.ONCE);
        assertEquals(HandshakeFlyweight.ACCEPT_OK, once.admit(main(A)));
        once.settle(false);
        assertEquals(HandshakeFlyweight.ACCEPT_BUSY, once.admit(main(B)), "the single migration's door, as ever");
    }

    private static Handshake.Hello main(final byte[] session) {
        return new Handshake.Hello(HandshakeFlyweight.KIND_MAIN, 0, 2, session);
    }

    private static Handshake.Hello data(final byte[] session, final int index) {
        return new Handshake.Hello(HandshakeFlyweight.KIND_DATA, index, 2, session);
    }
}
