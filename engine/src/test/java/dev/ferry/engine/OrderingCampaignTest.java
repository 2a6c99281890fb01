package dev.ferry.engine;

import dev.ferry.engine.channel.ChannelDecorator;
import dev.ferry.engine.cli.WorkloadGuest;
import dev.ferry.memory.BlockSpec;
import dev.ferry.memory.GuestMemory;
import dev.ferry.memory.internal.Workload;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The ordering guarantee over many shapes, seeded: 1 to 8 channels, one to three blocks of different sizes (the hot
 * set in the first), and per channel a destination reader that either captures bytes at once and delivers them
 * late ({@link DelayedDeliveryChannel}: pages of one round held back while the next round's arrive elsewhere) or
 * reads slowly in fragments with pauses ({@link StallingChannel}: socket buffers fill and the source's senders block,
 * real backpressure). Every hot page's every applied version is checked against the last one applied, and the
 * final memories are compared byte for byte. With the hold at SYNC, no page may ever go backwards; the same
 * campaign without it must catch stale pages, or it proves nothing. CI runs a few seeds; {@code -Pslow} runs
 * {@code -Dferry.ordering.seeds} (default 200) of each; docs/reliability.md holds a 1,000-seed campaign.
 */
final class OrderingCampaignTest {
    private static final int HOT_PAGES = 64;
    private static final long SLOT_NS = TimeUnit.MILLISECONDS.toNanos(3);

    /** What one seeded migration did. */
    private record Outcome(MigrationResult source, long backwards, long applies, int channels) {
    }

    @Test
    @Timeout(300)
    void noPageGoesBackwardsOverAFewShapes() throws Exception {
        campaign(Integer.getInteger("ferry.ordering.ci.seeds", 6), true);
    }

    @Test
    @Tag("slow")
    @Timeout(7200)
    void noPageGoesBackwardsOverManyShapes() throws Exception {
        campaign(Integer.getInteger("ferry.ordering.seeds", 200), true);
    }

    @Test
    @Tag("slow")
    @Timeout(7200)
    void withoutTheHoldTheCampaignCatchesStalePages() throws Exception {
        final int seeds = Integer.getInteger("ferry.ordering.seeds", 200);
        final long caught = campaign(seeds, false);
        assertTrue(caught > 0, "no stale page in " + seeds + " shapes without the hold: the campaign has no teeth");
    }

    /** Runs {@code seeds} shapes; with the hold none may go backwards; returns how many runs caught a stale page. */
    private static long campaign(final int seeds, final boolean hold) throws Exception {
        final long firstSeed = Long.getLong("ferry.ordering.seed", System.nanoTime());
        long caught = 0;
        long applies = 0;
        final int[] byChannels = new int[9];
        for (int i = 0; i < seeds; i++) {
            final long seed = firstSeed + i;
            final Outcome outcome = run(seed, hold);
            if (hold) {
                assertEquals(MigrationStatus.COMPLETED, outcome.source.status(), "seed " + seed + ": " +
                    outcome.source.error());
                assertEquals(0, outcome.backwards, "seed " + seed + " (" + outcome.channels + " channels): pages" +
                    " applied older than a version already applied");
            }
            // Without the hold a run may also fail (COMPLETE can overtake pages still being applied): only the
            // stale pages it saw count.
            caught += outcome.backwards > 0 ? 1 : 0;
            applies += outcome.applies;
            byChannels[outcome.channels]++;
        }
        System.out.println("OrderingCampaignTest: " + seeds + " shapes from seed " + firstSeed + (hold ? ", hold on" :
            ", hold OFF") + ": " + applies + " hot-page applies checked, runs with a stale page: " + caught +
            ", runs per channel count 1..8: " + java.util.Arrays.toString(java.util.Arrays.copyOfRange(byChannels, 1,
            9)));
        return caught;
    }

    private static Outcome run(final long seed, final boolean hold) throws Exception {
        final SplittableRandom random = new SplittableRandom(seed);
        final int channels = 1 + random.nextInt(8);
        final List<BlockSpec> blocks = new ArrayList<>(List.of(new BlockSpec(0, "pc.ram",
            (256L + random.nextInt(768)) * Guests.PAGE)));
        for (int b = 1, extra = random.nextInt(3); b <= extra; b++) {
            blocks.add(new BlockSpec(b * 3, "block" + b, (1L + random.nextInt(512)) * Guests.PAGE));
        }
        final boolean[] stalling = new boolean[channels];
        for (int c = 0; c < channels; c++) {
            stalling[c] = random.nextInt(3) == 0;
        }
        final HotPages hotPages = new HotPages(HOT_PAGES);
        try (GuestMemory source = Guests.filled(Guests.anonymous(blocks), seed);
             Workload workload = new Workload(source.block(0), 0, HOT_PAGES, 1, 100_000, seed).stampInitial();
             MigrationDestination destination = MigrationDestination.start(new MigrationDestination.Context()
                 .secret(Guests.SECRET).holdAtSync(hold).channelDecorator(decorator(seed, channels, stalling))
                 .pageApplyListener(hotPages))) {
            workload.start();
            final MigrationResult result = MigrationSource.start(new MigrationSource.Context()
                .destination(destination.localAddress()).memory(source).secret(Guests.SECRET).channels(channels)
                .guestControl(WorkloadGuest.of(workload)).maxRounds(12 + random.nextInt(20)).switchoverDirtyBytes(-1)
                .downtimeLimitMs(0).autoConverge(false).queueCapacity(4 << random.nextInt(5))).result()
                .get(120, TimeUnit.SECONDS);
            final MigrationResult received = destination.result().get(60, TimeUnit.SECONDS);
            if (result.isCompleted() && hold) {
                Guests.assertSameMemory(source, received.memory());
            }
            if (null != received.memory()) {
                received.memory().close();
            }
            return new Outcome(result, hotPages.backwards(), hotPages.applies(), channels);
        }
    }

    private static ChannelDecorator decorator(final long seed, final int channels, final boolean[] stalling) {
        return (index, socket) -> stalling[index] ?
            new StallingChannel(socket, seed * 31 + index, 4096, TimeUnit.MILLISECONDS.toNanos(4)) :
            new DelayedDeliveryChannel(socket, nowNs -> (nowNs / SLOT_NS + seed) % channels == index ?
                TimeUnit.MILLISECONDS.toNanos(9) : 0, "ch" + index);
    }
}
