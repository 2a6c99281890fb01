package dev.ferry.engine.destination;

import dev.ferry.engine.channel.Handshake;
import dev.ferry.engine.protocol.HandshakeFlyweight;
import org.junit.jupiter.api.Test;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The door's rules for several sessions: places taken and given back, data channels routed by session. */
final class SessionRulesTest {
    private static final byte[] A = new byte[16];
    private static final byte[] B = {1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    private static final byte[] C = {2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};

    @Test
    void aHandshakeThatFailsAfterItsAdmissionGivesItsPlaceBack() {
        final SessionRules rules = new SessionRules(1);
        assertEquals(HandshakeFlyweight.ACCEPT_OK, status(rules.admit(main(A))));
        rules.settle(false); // the ACCEPT could not be written: the peer reset
        assertEquals(HandshakeFlyweight.ACCEPT_OK, status(rules.admit(main(B))), "the place was given back");
        rules.settle(true);
        assertEquals(HandshakeFlyweight.ACCEPT_BUSY, status(rules.admit(main(A))), "one at a time");
        rules.sessionReady(B);
        assertEquals(HandshakeFlyweight.ACCEPT_OK, status(rules.admit(data(B, 0))));
        rules.settle(false);
        assertEquals(HandshakeFlyweight.ACCEPT_OK, status(rules.admit(data(B, 0))), "the channel was given back");
        rules.settle(true);
        assertEquals(HandshakeFlyweight.ACCEPT_DUPLICATE_CHANNEL, status(rules.admit(data(B, 0))));
        rules.end(B);
        assertEquals(HandshakeFlyweight.ACCEPT_NO_SESSION, status(rules.admit(data(B, 1))), "an ended session takes none");
        assertEquals(HandshakeFlyweight.ACCEPT_OK, status(rules.admit(main(A))), "and its place is free");
    }

    @Test
    void aTotalLimitAndTheSingleMigrationsDoor() {
        final SessionRules limited = new SessionRules(4);
        limited.limitTotal(1);
        assertEquals(HandshakeFlyweight.ACCEPT_OK, status(limited.admit(main(A))));
        limited.settle(true);
        limited.end(A);
        assertEquals(HandshakeFlyweight.ACCEPT_BUSY, status(limited.admit(main(B))), "one in all");
        final SessionRules once = new SessionRules(SessionRules.ONCE);
        assertEquals(HandshakeFlyweight.ACCEPT_OK, status(once.admit(main(A))));
        once.settle(false);
        assertEquals(HandshakeFlyweight.ACCEPT_BUSY, status(once.admit(main(B))), "the single migration's door, as ever");
    }

    @Test
    void aBusyAnswerSaysWhyAndTheLimitItMet() {
        final SessionRules rules = new SessionRules(2);
        rules.limitTotal(3);
        rules.admit(main(A));
        rules.settle(true);
        rules.admit(main(B));
        rules.settle(true);
        final long atLimit = rules.admit(main(C));
        assertEquals(HandshakeFlyweight.BUSY_AT_LIMIT, HandshakeFlyweight.answerReason(atLimit));
        assertEquals(2, HandshakeFlyweight.answerLimit(atLimit));
        assertEquals("the destination is busy: it is receiving 2 migrations at once, its limit; try again when " +
            "one has ended", HandshakeFlyweight.acceptText(atLimit));
        rules.end(A);
        assertEquals(HandshakeFlyweight.ACCEPT_OK, status(rules.admit(main(C))));
        rules.settle(true);
        rules.end(B);
        final long allTaken = rules.admit(main(A));
        assertEquals(HandshakeFlyweight.BUSY_ALL_TAKEN, HandshakeFlyweight.answerReason(allTaken));
        assertEquals(3, HandshakeFlyweight.answerLimit(allTaken));
        rules.drain();
        assertEquals(HandshakeFlyweight.BUSY_CLOSING, HandshakeFlyweight.answerReason(rules.admit(main(A))));
        assertEquals(HandshakeFlyweight.ACCEPT_NO_SESSION, status(rules.admit(data(C, 0))),
            "a draining door still routes the data channels of a session that runs, once it is ready");
    }

    @Test
    void aDataChannelHeldForItsSessionsSetUpIsAdmittedWhenReadyAndRefusedWhenItEnds() throws Exception {
        final SessionRules rules = new SessionRules(2);
        rules.admit(main(A));
        rules.settle(true);
        final CompletableFuture<Long> held = CompletableFuture.supplyAsync(() -> rules.admitWhenReady(data(A, 0),
            10_000));
        Thread.sleep(50);
        assertFalse(held.isDone(), "held while the session's SETUP is made");
        rules.sessionReady(A);
        assertEquals(HandshakeFlyweight.ACCEPT_OK, status(held.get(5, TimeUnit.SECONDS)));
        rules.admit(main(B));
        rules.settle(true);
        final long startNs = System.nanoTime();
        final CompletableFuture<Long> ended = CompletableFuture.supplyAsync(() -> rules.admitWhenReady(data(B, 0),
            10_000));
        Thread.sleep(50);
        rules.end(B);
        assertEquals(HandshakeFlyweight.ACCEPT_NO_SESSION, status(ended.get(5, TimeUnit.SECONDS)));
        assertTrue(System.nanoTime() - startNs < TimeUnit.SECONDS.toNanos(5), "woken by the end, not the wait");
        assertEquals(HandshakeFlyweight.ACCEPT_NO_SESSION, status(rules.admitWhenReady(data(C, 0), 10_000)),
            "a session no one opened is refused at once");
        final SessionRules brief = new SessionRules(1);
        brief.admit(main(C));
        assertEquals(HandshakeFlyweight.ACCEPT_NO_SESSION, status(brief.admitWhenReady(data(C, 1), 50)),
            "refused once the wait is over");
    }

    private static int status(final long answer) {
        return HandshakeFlyweight.answerStatus(answer);
    }

    private static Handshake.Hello main(final byte[] session) {
        return new Handshake.Hello(HandshakeFlyweight.KIND_MAIN, 0, 2, session);
    }

    private static Handshake.Hello data(final byte[] session, final int index) {
        return new Handshake.Hello(HandshakeFlyweight.KIND_DATA, index, 2, session);
    }
}
