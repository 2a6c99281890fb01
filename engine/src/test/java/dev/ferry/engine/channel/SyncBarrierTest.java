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
