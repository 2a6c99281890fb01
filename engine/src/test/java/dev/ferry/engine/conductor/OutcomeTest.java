package dev.ferry.engine.conductor;

import dev.ferry.engine.ErrorCode;
import dev.ferry.engine.FerryException;
import dev.ferry.engine.protocol.ProtocolException;
import org.agrona.concurrent.NoOpIdleStrategy;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The failure bookkeeping both conductors share, stepped with a clock the test moves. */
final class OutcomeTest {
    private static final long GRACE_NS = TimeUnit.MILLISECONDS.toNanos(Outcome.PEER_REASON_GRACE_MS);

    private final AtomicLong nowNs = new AtomicLong(1_000);
    private final Outcome outcome = new Outcome(nowNs::get);

    @Test
    void theFirstCauseWins() {
        final FerryException first = new FerryException(ErrorCode.CANCELLED, "cancelled");
        outcome.record(first);
        outcome.record(new FerryException(ErrorCode.TIMEOUT, "later"));
        outcome.recordFromPeer(new FerryException(ErrorCode.CHANNEL_FAILED, "destination: later still"));
        assertSame(first, outcome.failure());
        assertTrue(outcome.failureFromPeer(), "the peer failed too: it needs no word from us");
    }

    @Test
    void aPendingCauseYieldsToThePeersReasonWithinTheGrace() {
        outcome.pend(new FerryException(ErrorCode.CHANNEL_FAILED, "data channel 1 failed: broken pipe"));
        nowNs.addAndGet(GRACE_NS - 1);
        assertNull(outcome.failure());
        assertTrue(outcome.hasPending());
        outcome.recordFromPeer(new FerryException(ErrorCode.SETUP_REFUSED, "destination: out of memory"));
        nowNs.addAndGet(GRACE_NS);
        assertEquals(ErrorCode.SETUP_REFUSED, outcome.failure().code());
        assertFalse(outcome.hasPending());
    }

    @Test
    void aPendingCauseCountsOnceItsGraceIsOver() {
        outcome.pend(new FerryException(ErrorCode.CHANNEL_FAILED, "data channel 0 failed"));
        outcome.pend(new FerryException(ErrorCode.TIMEOUT, "a second pending cause does not replace the first"));
        nowNs.addAndGet(GRACE_NS);
        assertEquals(ErrorCode.CHANNEL_FAILED, outcome.failure().code());
        assertFalse(outcome.failureFromPeer());
    }

    @Test
    void awaitCauseReadsTheInboxUntilTheCauseIsKnown() {
        final int[] pumped = new int[1];
        final FerryException cause = outcome.awaitCause(() -> {
            if (++pumped[0] == 3) {
                outcome.recordFromPeer(new FerryException(ErrorCode.CANCELLED, "destination: cancelled"));
            }
            nowNs.addAndGet(1_000);
        }, NoOpIdleStrategy.INSTANCE);
        assertEquals(ErrorCode.CANCELLED, cause.code());
        assertEquals(3, pumped[0]);
    }

    @Test
    void awaitCauseGivesUpAfterFourGraces() {
        final FerryException cause = outcome.awaitCause(() -> nowNs.addAndGet(GRACE_NS / 2), NoOpIdleStrategy.INSTANCE);
        assertEquals(ErrorCode.INTERNAL, cause.code());
        assertTrue(nowNs.get() - 1_000 >= 4 * GRACE_NS);
    }

    @Test
    void whatTheConductorCaughtWaitsForAPendingCause() {
        outcome.pend(new FerryException(ErrorCode.CHANNEL_FAILED, "data channel 0 failed"));
        outcome.failWith(new IOException("Broken pipe"), () -> nowNs.addAndGet(GRACE_NS / 4), NoOpIdleStrategy.INSTANCE);
        assertEquals(ErrorCode.CHANNEL_FAILED, outcome.failure().code(), "the pending cause, not the echo");
    }

    @Test
    void whatTheConductorCaughtIsPutInWords() {
        outcome.failWith(new ProtocolException("bad length 7"), () -> { }, NoOpIdleStrategy.INSTANCE);
        assertEquals(ErrorCode.PROTOCOL_VIOLATION, outcome.failure().code());
        assertEquals("main channel: bad length 7", outcome.failure().getMessage());
        assertEquals(ErrorCode.INTERNAL, Outcome.caught(new IllegalStateException("x")).code());
    }
}
