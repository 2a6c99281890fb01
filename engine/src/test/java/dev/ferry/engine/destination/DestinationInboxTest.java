package dev.ferry.engine.destination;

import dev.ferry.engine.error.ErrorCode;
import dev.ferry.engine.error.FerryException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A destination stopped and continued finds its own timers expired at once, while the source's ERROR, the real
 * reason, waits in the main channel: a locally decided timeout yields to the source's reason within the grace.
 */
@Timeout(10)
final class DestinationInboxTest {
    @Test
    void theSourcesReasonWinsOverOurOwnExpiredTimer() {
        final DestinationInbox inbox = new DestinationInbox();
        final FerryException silence = new FerryException(ErrorCode.CONTACT_LOST, "nothing from the source for 60 s");
        assertTrue(DestinationInbox.mayHavePeerReason(silence));
        inbox.pending(silence);
        assertNull(inbox.failure(), "not before the grace");
        inbox.recordFromPeer(new FerryException(ErrorCode.BARRIER_TIMEOUT, "source: channels [1] did not ..."));
        assertEquals(ErrorCode.BARRIER_TIMEOUT, inbox.failure().code());
        assertTrue(inbox.failure().getMessage().startsWith("source:"), inbox.failure().getMessage());
    }

    @Test
    void withoutAReasonFromTheSourceOurOwnCountsAfterTheGrace() throws Exception {
        final DestinationInbox inbox = new DestinationInbox();
        inbox.pending(new FerryException(ErrorCode.TIMEOUT, "no VERIFY within 300000 ms"));
        Thread.sleep(DestinationInbox.PEER_REASON_GRACE_MS + 50);
        assertEquals(ErrorCode.TIMEOUT, inbox.failure().code());
        assertFalse(inbox.failureFromPeer());
        assertFalse(DestinationInbox.mayHavePeerReason(new FerryException(ErrorCode.PROTOCOL_VIOLATION, "x")),
            "a bad field is ours to judge");
    }
}
