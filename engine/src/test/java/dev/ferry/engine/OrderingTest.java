package dev.ferry.engine;

import dev.ferry.engine.cli.WorkloadGuest;
import dev.ferry.memory.BlockSpec;
import dev.ferry.memory.GuestMemory;
import dev.ferry.memory.internal.Workload;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The seed's point, tested adversarially. The destination's data channels capture bytes early and deliver them
 * late, and which channel is slow changes every few milliseconds, i.e. from round to round. A versioned workload
 * rewrites the same small hot set all the time, so a page travels on different channels in consecutive rounds
 * (the hot set fits one packet and the least-loaded choice rotates). The destination checks every page version it
 * applies against the last one it applied for that page and counts every step backwards.
 * <p>
 * With the destination's hold at SYNC no page may ever go backwards; without it (a test-only switch) a stale page
 * must be seen, which proves the check can fail.
 */
final class OrderingTest {
    private static final int HOT_PAGES = 96;
    private static final int ROUNDS = 40;
    private static final int MAX_ATTEMPTS = 4;
    private static final int CHANNELS = 3;
    private static final long SLOT_NS = TimeUnit.MILLISECONDS.toNanos(4);
    private static final long DELAY_NS = TimeUnit.MILLISECONDS.toNanos(12);

    /** {@code channelSwitches}: applies of a page on another channel than its previous apply. */
    private record Outcome(MigrationResult source, MigrationResult destination, long channelSwitches, long backwards,
        GuestMemory sourceMemory) {
    }

    @Test
    @Timeout(120)
    void noPageEverGoesBackwardsWithTheHold() throws Exception {
        for (long seed = 1; seed <= 4; seed++) {
            assertNeverBackwards(seed);
        }
    }

    @Test
    @Tag("slow")
    @Timeout(1800)
    void noPageEverGoesBackwardsOverManySeeds() throws Exception {
        for (long seed = 1; seed <= 60; seed++) {
            assertNeverBackwards(seed);
        }
    }

    @Test
    @Timeout(120)
    void withoutTheHoldAStalePageIsDetected() throws Exception {
        long backwards = 0;
        long seed = 1;
        for (; seed <= 10 && backwards == 0; seed++) {
            backwards = run(seed, false).backwards;
        }
        assertTrue(backwards > 0, "no stale page in " + (seed - 1) + " runs without the hold: the test has no teeth");
    }

    /**
     * Migrates with the hold and fails on any page that went backwards. A run too quiet to prove anything (on a
     * loaded machine the workload may get too little CPU for pages to change channel often enough) is not a
     * failure: it is run again with twice the rounds, up to {@link #MAX_ATTEMPTS} times; only a run that never gets
     * strong enough fails, saying so.
     */
    private void assertNeverBackwards(final long seed) throws Exception {
        int rounds = ROUNDS;
        for (int attempt = 1; attempt <= MAX_ATTEMPTS; attempt++, rounds *= 2) {
            final Outcome outcome = run(seed, true, rounds);
            try {
                assertEquals(MigrationStatus.COMPLETED, outcome.source.status(), "seed " + seed + ": " +
                    outcome.source.error());
                assertEquals(0, outcome.backwards, "seed " + seed + ": pages applied older than a version already" +
                    " applied");
                assertEquals(rounds, outcome.source.stats().rounds(), "seed " + seed);
                Guests.assertSameMemory(outcome.sourceMemory, outcome.destination.memory());
                if (outcome.channelSwitches >= 3L * HOT_PAGES) {
                    return;
                }
                System.out.println("OrderingTest: seed " + seed + " attempt " + attempt + ": pages changed channel" +
                    " only " + outcome.channelSwitches + " times in " + rounds + " rounds; again with more rounds");
            } finally {
                if (null != outcome.destination.memory()) {
                    outcome.destination.memory().close();
                }
                outcome.sourceMemory.close();
            }
        }
        throw new AssertionError("seed " + seed + ": never strong enough to prove anything in " + MAX_ATTEMPTS +
            " attempts (pages must change channel at least " + 3L * HOT_PAGES + " times)");
    }

    private Outcome run(final long seed, final boolean hold) throws Exception {
        return run(seed, hold, ROUNDS);
    }

    private Outcome run(final long seed, final boolean hold, final int rounds) throws Exception {
        final GuestMemory source = Guests.anonymous(List.of(new BlockSpec(0, "pc.ram", 1024L * Guests.PAGE)));
        final Workload workload = new Workload(source.block(0), 0, HOT_PAGES, 1, 150_000, seed).stampInitial();
        final AtomicLongArray lastApplied = new AtomicLongArray(HOT_PAGES);
        final AtomicLongArray lastChannel = new AtomicLongArray(HOT_PAGES);
        final AtomicLong channelSwitches = new AtomicLong();
        final AtomicLong backwards = new AtomicLong();
        final MigrationDestination destination = MigrationDestination.start(new MigrationDestination.Context()
            .secret(Guests.SECRET)
            .holdAtSync(hold)
            .channelDecorator((index, socket) -> new DelayedDeliveryChannel(socket,
                nowNs -> (nowNs / SLOT_NS + seed) % CHANNELS == index ? DELAY_NS : 0, "ch" + index))
            .pageApplyListener((channel, block, page) -> {
                if (page >= HOT_PAGES) {
                    return;
                }
                final long version = Workload.consistentVersionOf(block, page);
                if (version < 0) {
                    return;
                }
                if (lastChannel.getAndSet((int)page, channel + 1) != channel + 1) {
                    channelSwitches.incrementAndGet();
                }
                final long previous = lastApplied.getAndAccumulate((int)page, version, Math::max);
                if (version < previous) {
                    backwards.incrementAndGet();
                }
            }));
        workload.start();
        try {
            final MigrationSource migration = MigrationSource.start(new MigrationSource.Context()
                .destination(destination.localAddress()).memory(source).secret(Guests.SECRET).channels(CHANNELS)
                .guestControl(WorkloadGuest.of(workload)).maxRounds(rounds).switchoverDirtyBytes(-1)
                .downtimeLimitMs(0).autoConverge(false));
            final MigrationResult sourceResult = migration.result().get();
            final MigrationResult destinationResult = destination.result().get();
            return new Outcome(sourceResult, destinationResult, channelSwitches.get(), backwards.get(), source);
        } finally {
            workload.close();
        }
    }
}
