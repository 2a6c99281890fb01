package dev.ferry.engine.source;

import dev.ferry.engine.ErrorCode;
import dev.ferry.engine.FerryException;
import dev.ferry.engine.channel.Message;
import dev.ferry.engine.channel.SyncBarrier;
import dev.ferry.engine.channel.TestMessages;
import dev.ferry.engine.conductor.Outcome;
import dev.ferry.engine.protocol.MessageFlyweight;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The source's inbox decides from what arrived, not from what the conductor happened to see first.
 * <p>
 * When the destination fails mid-migration it sends ERROR and closes, and the source's conductor may meet the
 * closed socket (a broken pipe on the main channel) before the reader has handed it the ERROR. The source must
 * still report the destination's reason. Seen once in six `mvn test` runs, in FullFileSystemTest: the source said
 * "java.io.IOException: Broken pipe" instead of the destination's "ran out of space".
 */
@Timeout(30)
final class SourceInboxTest {
    private final SourceInbox inbox = new SourceInbox(new SyncBarrier(1, 10_000),
        new BackoffIdleStrategy(1, 1, 1_000, 100_000));


    private void setupAcked() {
        inbox.onMessage(TestMessages.status(MessageFlyweight.SETUP_ACK, 0, ""));
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
            inbox.onMessage(TestMessages.status(MessageFlyweight.ERROR, ErrorCode.MEMORY.id(),
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
        assertTrue(System.nanoTime() - startNs >= Outcome.PEER_REASON_GRACE_MS * 1_000_000L, "waited the grace");
    }

    @Test
    void beforeSetupAckAnIoErrorIsReportedAtOnce() {
        inbox.failWith(new IOException("Connection reset"));
        assertTrue(inbox.failure().getMessage().contains("Connection reset"), inbox.failure().getMessage());
    }

    /** The wait's clock, and its idle strategy: each idle step advances the clock and may play the reader. */
    private static final class Script implements IdleStrategy {
        private final Deque<Runnable> steps = new ArrayDeque<>();
        private long nowNs = 1_000_000_000L;
        private long stepNs = TimeUnit.MILLISECONDS.toNanos(1);
        private long idles;
        private SourceInbox inbox;

        long nanoTime() {
            return nowNs;
        }

        Script then(final Runnable step) {
            steps.add(step);
            return this;
        }

        /** The whole process stops for {@code ms}: the next look sees the clock jump. */
        Script stop(final long ms) {
            return then(() -> nowNs += TimeUnit.MILLISECONDS.toNanos(ms));
        }

        /** The reader runs and posts what waited in the socket. */
        Script applied() {
            return then(() -> inbox.onMessage(new Message(MessageFlyweight.APPLIED, new UnsafeBuffer(new byte[0]), 0)));
        }

        Script idleFor(final long ms) {
            for (long i = 0; i < ms; i++) {
                then(() -> { });
            }
            return this;
        }

        SourceInbox inbox() {
            inbox = new SourceInbox(new SyncBarrier(1, 10_000), this, this::nanoTime);
            return inbox;
        }

        long elapsedMs() {
            return TimeUnit.NANOSECONDS.toMillis(nowNs - 1_000_000_000L);
        }

        @Override
        public void idle(final int workCount) {
            idle();
        }

        @Override
        public void idle() {
            idles++;
            final Runnable step = steps.poll();
            if (null != step) {
                step.run();
            }
            nowNs += stepNs; // the conductor's own pause between two looks
        }

        @Override
        public void reset() {
        }
    }

    @Test
    void aSourceStoppedPastItsDeadlineFindsTheAppliedThatArrivedMeanwhile() {
        // Stopped 10 s one look into a 5.3 s wait; APPLIED arrived meanwhile, and the reader hands it over only
        // after the conductor has had its first look at the expired deadline.
        final Script script = new Script().stop(10_000).applied();
        final SourceInbox stopped = script.inbox();
        stopped.await(stopped::applied, 5_300, "APPLIED");
        assertTrue(stopped.applied());
        assertEquals(null, stopped.failure());
    }

    @Test
    void aSourceStoppedRightAtItsDeadlineStillGivesItsReaderTheGrace() {
        // The stop comes 5.29 s into the wait: the deadline has passed when the conductor runs again, and the
        // reader needs 50 ms of running time (it runs after the conductor's look) to hand APPLIED over.
        final Script script = new Script().idleFor(5_290).stop(10_000).idleFor(50).applied();
        final SourceInbox stopped = script.inbox();
        stopped.await(stopped::applied, 5_300, "APPLIED");
        assertTrue(stopped.applied());
    }

    @Test
    void aDestinationThatNeverAnswersIsATimeoutAtTheDeadline() {
        final Script script = new Script();
        final SourceInbox waiting = script.inbox();
        final FerryException timeout = assertThrows(FerryException.class,
            () -> waiting.await(waiting::applied, 5_300, "APPLIED"));
        assertEquals(ErrorCode.TIMEOUT, timeout.code());
        assertEquals("no APPLIED from the destination within 5300 ms", timeout.getMessage());
        assertEquals(5_301, script.elapsedMs(), "a wait that ran throughout ends at its deadline");
        assertFalse(waiting.applied());
    }

    @Test
    void aStoppedSourceWhoseDestinationNeverAnswersTimesOutOnItsRunningTime() {
        final Script script = new Script().idleFor(1_000).stop(10_000);
        final SourceInbox stopped = script.inbox();
        final FerryException timeout = assertThrows(FerryException.class,
            () -> stopped.await(stopped::applied, 5_300, "APPLIED"));
        assertEquals(ErrorCode.TIMEOUT, timeout.code());
        assertTrue(timeout.getMessage().startsWith("no APPLIED from the destination within 5300 ms (not counting 99"),
            timeout.getMessage());
        final long runningMs = script.elapsedMs() - 10_000;
        assertTrue(runningMs >= 5_300 - SourceInbox.STALL_STEP_MS && runningMs <= 5_300 + Outcome.PEER_REASON_GRACE_MS + 2,
            "ran " + runningMs + " ms");
    }
}
