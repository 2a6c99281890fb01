package dev.ferry.engine.source;

import dev.ferry.engine.channel.Message;
import dev.ferry.engine.channel.SyncBarrier;
import dev.ferry.engine.error.ErrorCode;
import dev.ferry.engine.error.FerryException;
import dev.ferry.engine.protocol.MessageFlyweight;
import dev.ferry.engine.protocol.StatusFlyweight;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * When the destination fails mid-migration it sends ERROR and closes, and the source's conductor may meet the
 * closed socket (a broken pipe on the main channel) before the reader has handed it the ERROR. The source must
 * still report the destination's reason. Seen once in six `mvn test` runs, in FullFileSystemTest: the source said
 * "java.io.IOException: Broken pipe" instead of the destination's "ran out of space".
 */
@Timeout(30)
final class SourceInboxTest {
    private final SourceInbox inbox = new SourceInbox(new SyncBarrier(1, 10_000),
        new BackoffIdleStrategy(1, 1, 1_000, 100_000));

    private static Message status(final int type, final int code, final String text) {
        final UnsafeBuffer body = new UnsafeBuffer(new byte[256]);
        final int length = new StatusFlyweight().wrap(body, 0, body.capacity()).encode(code, 0, text);
        return new Message(type, body, length);
    }

    private void setupAcked() {
        inbox.onMessage(status(MessageFlyweight.SETUP_ACK, 0, ""));
        inbox.drain();
        assertTrue(inbox.setupAcked());
    }

    @Test
    void aBrokenPipeOnTheMainChannelWaitsForTheDestinationsReason() throws Exception {
        setupAcked();
        final Thread reader = new Thread(() -> {
            try {
                Thread.sleep(100); // the ERROR arrives after the conductor's write failed
            } catch (final InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
            inbox.onMessage(status(MessageFlyweight.ERROR, ErrorCode.MEMORY.id(),
                "memory file /mnt/full/guest.ram ran out of space"));
        });
        reader.start();
        inbox.failWith(new IOException("Broken pipe"));
        reader.join();
        final FerryException failure = inbox.failure();
        assertEquals(ErrorCode.MEMORY, failure.code(), failure.getMessage());
        assertTrue(failure.getMessage().contains("ran out of space"), failure.getMessage());
        assertTrue(inbox.failureFromPeer());
    }

    @Test
    void withoutAReasonTheBrokenPipeIsTheFailureOnceTheGraceIsOver() {
        setupAcked();
        final long startNs = System.nanoTime();
        inbox.failWith(new IOException("Broken pipe"));
        final FerryException failure = inbox.failure();
        assertEquals(ErrorCode.CONTACT_LOST, failure.code(), failure.getMessage());
        assertTrue(failure.getMessage().contains("main channel: Broken pipe"), failure.getMessage());
        assertTrue(System.nanoTime() - startNs >= SourceInbox.PEER_REASON_GRACE_MS * 1_000_000L, "waited the grace");
    }

    @Test
    void beforeSetupAckAnIoErrorIsReportedAtOnce() {
        inbox.failWith(new IOException("Connection reset"));
        assertTrue(inbox.failure().getMessage().contains("Connection reset"), inbox.failure().getMessage());
    }
}
