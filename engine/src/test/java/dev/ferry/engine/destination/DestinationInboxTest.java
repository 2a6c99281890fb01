package dev.ferry.engine.destination;

import dev.ferry.engine.ErrorCode;
import dev.ferry.engine.FerryException;
import dev.ferry.engine.conductor.Outcome;
import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A destination stopped and continued finds its own timers expired at once, while the source's ERROR, the real
 * reason, waits in the main channel: a locally decided timeout yields to the source's reason within the grace.
 */
final class DestinationInboxTest {
    private final AtomicLong nowNs = new AtomicLong();
    private final DestinationInbox inbox = new DestinationInbox(nowNs::get);

    @Test
    void theSourcesReasonWinsOverOurOwnExpiredTimer() {
        final FerryException silence = new FerryException(ErrorCode.CONTACT_LOST, "nothing from the source for 60 s");
        assertTrue(DestinationInbox.mayHavePeerReason(silence));
        inbox.recordLocal(silence);
        assertNull(inbox.outcome().failure(), "not before the grace");
        inbox.outcome().recordFromPeer(new FerryException(ErrorCode.BARRIER_TIMEOUT, "source: channels [1] did not"));
        nowNs.addAndGet(TimeUnit.MILLISECONDS.toNanos(Outcome.PEER_REASON_GRACE_MS));
        assertEquals(ErrorCode.BARRIER_TIMEOUT, inbox.outcome().failure().code());
        assertTrue(inbox.outcome().failureFromPeer());
    }

    @Test
    void withoutAReasonFromTheSourceOurOwnCountsAfterTheGrace() {
        inbox.recordLocal(new FerryException(ErrorCode.TIMEOUT, "no VERIFY within 300000 ms"));
        nowNs.addAndGet(TimeUnit.MILLISECONDS.toNanos(Outcome.PEER_REASON_GRACE_MS) - 1);
        assertNull(inbox.outcome().failure(), "one nanosecond before the grace ends");
        nowNs.incrementAndGet();
        assertEquals(ErrorCode.TIMEOUT, inbox.outcome().failure().code());
        assertFalse(inbox.outcome().failureFromPeer());
    }

    @Test
    void aBadFieldIsOursToJudgeAtOnce() {
        final FerryException bad = new FerryException(ErrorCode.PROTOCOL_VIOLATION, "data channel 0: bad round");
        assertFalse(DestinationInbox.mayHavePeerReason(bad));
        inbox.recordLocal(bad);
        assertEquals(bad, inbox.outcome().failure());
    }

    @Test
    void aLostChannelWaitsForTheSourcesReason() {
        inbox.channelLost(1, "closed by the source before COMPLETE");
        assertTrue(inbox.outcome().hasPending());
        inbox.outcome().recordFromPeer(new FerryException(ErrorCode.CANCELLED, "source: cancelled by the operator"));
        assertEquals(ErrorCode.CANCELLED, inbox.outcome().failure().code());
    }
}
