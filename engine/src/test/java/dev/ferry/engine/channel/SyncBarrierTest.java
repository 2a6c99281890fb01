package dev.ferry.engine.channel;

import dev.ferry.engine.ErrorCode;
import dev.ferry.engine.FerryException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The barrier both sides share: releases only when every party arrived, round by round, and never hangs. */
final class SyncBarrierTest {
    @Test
    @Timeout(30)
    void releasesWhenEveryPartyArrivedAndNotBefore() throws Exception {
        final SyncBarrier barrier = new SyncBarrier(2, 10_000);
        for (int round = 0; round < 3; round++) {
            final long r = round;
            final CompletableFuture<SyncBarrier.Outcome> main =
                CompletableFuture.supplyAsync(() -> barrier.arriveAndAwait(r, "main"));
            final CompletableFuture<SyncBarrier.Outcome> channel0 =
                CompletableFuture.supplyAsync(() -> barrier.arriveAndAwait(r, "channel 0"));
            Thread.sleep(50);
            assertFalse(main.isDone() || channel0.isDone(), "released before channel 1 arrived");
            assertEquals(round, barrier.arrive(), "channel 1 arrives without waiting, as a source sender does");
            assertEquals(SyncBarrier.Outcome.RELEASED, main.get(10, TimeUnit.SECONDS));
            assertEquals(SyncBarrier.Outcome.RELEASED, channel0.get(10, TimeUnit.SECONDS));
        }
    }

    @Test
    void aRoundThatIsNotThePhaseIsAProtocolViolation() {
        final SyncBarrier barrier = new SyncBarrier(1, 10_000);
        final FerryException ex = assertThrows(FerryException.class, () -> barrier.arriveAndAwait(1, "main"));
        assertEquals(ErrorCode.PROTOCOL_VIOLATION, ex.code());
        assertTrue(ex.getMessage().contains("phase 0: expected 1"), ex.getMessage());
    }

    @Test
    void aBarrierThatDoesNotOpenTimesOutNamingTheWaiter() {
        final SyncBarrier barrier = new SyncBarrier(1, 50);
        final FerryException ex = assertThrows(FerryException.class, () -> barrier.arriveAndAwait(0, "the main channel"));
        assertEquals(ErrorCode.BARRIER_TIMEOUT, ex.code());
        assertTrue(ex.getMessage().startsWith("the main channel: "), ex.getMessage());
        assertTrue(ex.getMessage().contains("1 of 2 arrived"), ex.getMessage());
    }

    /**
     * The timeout is one without progress: a wait whose channels keep writing (a low bandwidth cap draining what was
     * queued ahead of the SYNC) outlasts several timeouts and is released; one whose progress stops fails a timeout
     * after the last byte.
     */
    @Test
    @Timeout(30)
    void theTimeoutIsOneWithoutProgressSoSlowButMovingChannelsAreWaitedFor() throws Exception {
        // Timeouts far above a loaded machine's scheduling stalls: a pause of the writer is not what is tested.
        final SyncBarrier barrier = new SyncBarrier(1, 500);
        final java.util.concurrent.atomic.AtomicLong written = new java.util.concurrent.atomic.AtomicLong();
        final long startNs = System.nanoTime();
        final CompletableFuture<SyncBarrier.Outcome> waiting = CompletableFuture.supplyAsync(
            () -> barrier.arriveAndAwait(0, "main", written::get));
        while (System.nanoTime() - startNs < TimeUnit.MILLISECONDS.toNanos(1_600)) { // three timeouts of writing
            written.incrementAndGet();
            Thread.sleep(5);
        }
        assertFalse(waiting.isDone(), "still waited for, while its channels write");
        barrier.arrive();
        assertEquals(SyncBarrier.Outcome.RELEASED, waiting.get(10, TimeUnit.SECONDS));

        final SyncBarrier stalled = new SyncBarrier(1, 50);
        final java.util.concurrent.atomic.AtomicLong moved = new java.util.concurrent.atomic.AtomicLong();
        final FerryException ex = assertThrows(FerryException.class, () -> stalled.arriveAndAwait(0, "main",
            moved::get));
        assertEquals(ErrorCode.BARRIER_TIMEOUT, ex.code());
    }

    @Test
    @Timeout(30)
    void terminationReleasesWaitersNowAndLater() throws Exception {
        final SyncBarrier barrier = new SyncBarrier(2, 60_000);
        final CompletableFuture<SyncBarrier.Outcome> waiting =
            CompletableFuture.supplyAsync(() -> barrier.arriveAndAwait(0, "main"));
        Thread.sleep(20);
        barrier.terminate();
        assertEquals(SyncBarrier.Outcome.TERMINATED, waiting.get(10, TimeUnit.SECONDS));
        assertEquals(SyncBarrier.Outcome.TERMINATED, barrier.arriveAndAwait(0, "late"));
        assertTrue(barrier.isTerminated());
    }
}
