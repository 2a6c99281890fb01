package dev.ferry.engine;

import dev.ferry.memory.GuestMemory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** A bandwidth budget shared by migrations: shares by weight, followed live, left when a migration ends. */
final class BandwidthBudgetTest {
    @Test
    void sharesFollowWeightsJoinsLeavesAndLiveChanges() throws Exception {
        final BandwidthBudget budget = new BandwidthBudget(100_000_000);
        final AtomicLong a = new AtomicLong(-1);
        final AtomicLong b = new AtomicLong(-1);
        final AutoCloseable first = budget.join(1, a::set);
        assertEquals(100_000_000, a.get(), "alone, the whole budget");
        final AutoCloseable second = budget.join(3, b::set);
        assertEquals(25_000_000, a.get());
        assertEquals(75_000_000, b.get());
        budget.bytesPerSec(200_000_000);
        assertEquals(50_000_000, a.get(), "a live change reaches every share at once");
        assertEquals(150_000_000, b.get());
        budget.bytesPerSec(0);
        assertEquals(0, a.get(), "an unlimited budget lifts every share");
        budget.bytesPerSec(3);
        assertEquals(1, a.get(), "never 0 while the budget is not: 0 would lift the cap");
        first.close();
        assertEquals(3, b.get(), "who leaves gives its share back");
        first.close();
        assertEquals(1, budget.participants(), "leaving twice leaves once");
        second.close();
        assertEquals(0, budget.participants());
        assertThrows(FerryException.class, () -> budget.bytesPerSec(-1));
        assertEquals(Long.MAX_VALUE / 3 * 2 + Long.MAX_VALUE % 3 * 2 / 3, BandwidthBudget.part(Long.MAX_VALUE, 2, 3),
            "a budget written as Long.MAX_VALUE does not overflow into a share of 1 B/s");
        assertEquals(750, BandwidthBudget.part(1_000, 3, 4));
        assertThrows(FerryException.class, () -> budget.join(0, a::set));
    }

    /** A migration whose thread could not even start never joined the budget: nobody else's share shrinks. */
    @Test
    void aMigrationThatNeverRanHoldsNoShare() {
        final BandwidthBudget budget = new BandwidthBudget(1 << 20);
        try (GuestMemory memory = Guests.anonymous(Guests.SPECS)) {
            assertThrows(IllegalStateException.class, () -> MigrationSource.start(new MigrationSource.Context()
                .destination(new InetSocketAddress("127.0.0.1", 9)).memory(memory).secret(Guests.SECRET)
                .bandwidthBudget(budget).threadFactory(runnable -> {
                    throw new IllegalStateException("no threads here");
                })));
        }
        assertEquals(0, budget.participants());
    }

    /**
     * Two migrations share 128 KiB/s by weights 1 and 3 (minutes for their 14 MiB each): each is capped at its share,
     * lifting the budget lets both finish at once, and both leave it when they end.
     */
    @Test
    @Timeout(60)
    void runningMigrationsShareTheBudgetAndLeaveItWhenTheyEnd() throws Exception {
        final BandwidthBudget budget = new BandwidthBudget(128 << 10);
        try (GuestMemory one = Guests.filled(Guests.anonymous(Guests.SPECS), 11);
             GuestMemory two = Guests.filled(Guests.anonymous(Guests.SPECS), 12);
             MigrationDestination first = MigrationDestination.start(new MigrationDestination.Context()
                 .secret(Guests.SECRET));
             MigrationDestination second = MigrationDestination.start(new MigrationDestination.Context()
                 .secret(Guests.SECRET));
             MigrationSource light = MigrationSource.start(new MigrationSource.Context().destination(first.localAddress())
                 .memory(one).secret(Guests.SECRET).bandwidthBudget(budget));
             MigrationSource heavy = MigrationSource.start(new MigrationSource.Context().destination(second.localAddress())
                 .memory(two).secret(Guests.SECRET).bandwidthBudget(budget).bandwidthWeight(3)
                 .maxBandwidthBytesPerSec(1 << 30))) {
            final long joinDeadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (budget.participants() < 2 && System.nanoTime() - joinDeadlineNs < 0) {
                Thread.sleep(1); // each joins on its conductor's thread, before its first packet
            }
            assertEquals(2, budget.participants());
            assertEquals(32 << 10, light.stats().convergence().maxBandwidthBytesPerSec());
            assertEquals(96 << 10, heavy.stats().convergence().maxBandwidthBytesPerSec(), "its own cap is higher");
            Thread.sleep(200);
            assertFalse(light.result().isDone() || heavy.result().isDone(), "the budget holds both back");
            light.maxBandwidthBytesPerSec(16 << 10);
            assertEquals(16 << 10, light.stats().convergence().maxBandwidthBytesPerSec(), "its own cap, when lower");
            light.maxBandwidthBytesPerSec(0);
            budget.bytesPerSec(0);
            assertEquals(MigrationStatus.COMPLETED, light.result().get(8, TimeUnit.SECONDS).status());
            assertEquals(MigrationStatus.COMPLETED, heavy.result().get(8, TimeUnit.SECONDS).status());
            assertEquals(0, budget.participants(), "a finished migration leaves the budget");
            for (final MigrationDestination destination : new MigrationDestination[] {first, second}) {
                destination.result().get().memory().close();
            }
        }
    }
}
