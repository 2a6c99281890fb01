package dev.ferry.engine;

import dev.ferry.engine.cli.WorkloadGuest;
import dev.ferry.memory.BlockSpec;
import dev.ferry.memory.GuestMemory;
import dev.ferry.memory.internal.Workload;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The ordering guarantee and fault isolation with several migrations at once through one endpoint. Each guest is
 * dirtied by a workload (so migrations go round after round, each ending in a SYNC barrier) and every hot page's
 * every applied version is checked, per session (sessions are told apart by their memory's blocks), against the
 * last one applied. A data channel of one migration stalled by a proxy (its barrier can never complete) and one cut
 * stop neither the others' barriers nor their byte-identical completion. The seeded campaign runs several sessions
 * at once over many shapes, with data channels delivering late; without the hold at SYNC it must catch stale pages
 * ({@code -Pslow}), or it proves nothing.
 */
final class ManySessionsCampaignTest {
    private static final int HOT_PAGES = 64;
    private static final long SLOT_NS = TimeUnit.MILLISECONDS.toNanos(3);

    @TempDir
    Path dir;

    /** Every hot page's applied versions, per session's block 0. */
    private final HotPages hotPages = new HotPages(HOT_PAGES);

    @Test
    @Timeout(180)
    void aStalledAndACutMigrationStopNeitherTheOthersBarriersNorTheirCompletion() throws Exception {
        final List<Workload> workloads = new ArrayList<>();
        final List<GuestMemory> guests = new ArrayList<>();
        final List<MigrationSource> sources = new ArrayList<>();
        try (IncomingMigrations incoming = IncomingMigrations.start(checked(new MigrationDestination.Context()
                 .secret(Guests.SECRET).memoryFor(MemoryFactory.inDirectory(dir, false)), true), 4);
             FaultProxy stalled = new FaultProxy(incoming.localAddress(),
                 new FaultProxy.Fault(1, true, 2L << 20, FaultProxy.Kind.STALL));
             FaultProxy cut = new FaultProxy(incoming.localAddress(),
                 new FaultProxy.Fault(2, true, 3L << 20, FaultProxy.Kind.CUT))) {
            final List<String> names = List.of("stalled", "cut", "healthy-1", "healthy-2");
            for (int i = 0; i < names.size(); i++) {
                final GuestMemory guest = Guests.filled(Guests.anonymous(List.of(new BlockSpec(0, "pc.ram",
                    4096L * Guests.PAGE))), 40 + i);
                guests.add(guest);
                final Workload workload = new Workload(guest.block(0), 0, HOT_PAGES, 1, 100_000, 40 + i)
                    .stampInitial().start();
                workloads.add(workload);
                sources.add(MigrationSource.start(new MigrationSource.Context().destination(0 == i ?
                    stalled.address() : 1 == i ? cut.address() : incoming.localAddress()).memory(guest)
                    .secret(Guests.SECRET).name(names.get(i)).channels(2).guestControl(WorkloadGuest.of(workload))
                    .maxRounds(16).switchoverDirtyBytes(-1).downtimeLimitMs(0).autoConverge(false)
                    .barrierTimeoutMs(120_000)));
            }
            for (int i = 2; i < 4; i++) {
                final MigrationResult healthy = sources.get(i).result().get(120, TimeUnit.SECONDS);
                assertEquals(MigrationStatus.COMPLETED, healthy.status(), names.get(i) + ": " + healthy.error());
                assertTrue(healthy.verified());
                assertTrue(healthy.stats().rounds() > 2, "went through several barriers: " + healthy.stats().rounds());
            }
            assertTrue(stalled.firedNs() > 0, "the stall fired");
            assertFalse(sources.get(0).result().isDone(), "the stalled migration still waits at its barrier");
            assertNotEquals(MigrationStatus.COMPLETED, sources.get(1).result().get(120, TimeUnit.SECONDS).status(),
                "the cut migration failed");
            sources.get(0).cancel();
            assertEquals(MigrationStatus.CANCELLED, sources.get(0).result().get(60, TimeUnit.SECONDS).status());
            for (int i = 0; i < 4; i++) {
                final MigrationResult received = incoming.next(30, TimeUnit.SECONDS).result().get(60, TimeUnit.SECONDS);
                if (null != received.memory()) {
                    received.memory().close();
                }
            }
            assertEquals(0, hotPages.backwards(), "pages applied older than a version already applied, over " +
                hotPages.applies() + " applies");
            assertTrue(hotPages.applies() > 0, "hot pages were checked");
            for (int i = 2; i < 4; i++) {
                workloads.get(i).close();
                try (GuestMemory landed = GuestMemory.mapFile(dir.resolve(names.get(i)), guests.get(i).specs(),
                    Guests.PAGE)) {
                    Guests.assertSameMemory(guests.get(i), landed);
                }
            }
            assertFalse(Files.exists(dir.resolve("stalled")) || Files.exists(dir.resolve("cut")),
                "no file of the failed migrations");
        } finally {
            workloads.forEach(Workload::close);
            sources.forEach(MigrationSource::close);
            guests.forEach(GuestMemory::close);
        }
    }

    @Test
    @Timeout(300)
    void noPageGoesBackwardsWithSeveralSessionsAtOnceOverAFewShapes() throws Exception {
        campaign(Integer.getInteger("ferry.sessions.ci.seeds", 2), true);
        assertEquals(0, hotPages.backwards(), "pages applied older than a version already applied");
    }

    @Test
    @Tag("slow")
    @Timeout(7200)
    void withoutTheHoldTheSessionsCampaignCatchesStalePages() throws Exception {
        final int seeds = Integer.getInteger("ferry.sessions.seeds", 30);
        campaign(seeds, false);
        assertTrue(hotPages.backwards() > 0, "no stale page in " + seeds + " shapes without the hold: no teeth");
    }

    /** {@code seeds} shapes, each three migrations at once into one endpoint, every data channel delivering late. */
    private void campaign(final int seeds, final boolean hold) throws Exception {
        final long firstSeed = Long.getLong("ferry.sessions.seed", System.nanoTime());
        for (int s = 0; s < seeds; s++) {
            final long seed = firstSeed + s;
            final SplittableRandom random = new SplittableRandom(seed);
            final List<Workload> workloads = new ArrayList<>();
            final List<GuestMemory> guests = new ArrayList<>();
            final List<MigrationSource> sources = new ArrayList<>();
            try (IncomingMigrations incoming = IncomingMigrations.start(checked(new MigrationDestination.Context()
                .secret(Guests.SECRET).memoryFor(name -> MemoryFactory.anonymous())
                .channelDecorator((index, socket) -> new DelayedDeliveryChannel(socket, nowNs ->
                    (nowNs / SLOT_NS + seed) % 4 == index ? TimeUnit.MILLISECONDS.toNanos(9) : 0, "ch" + index)),
                hold), 3)) {
                for (int i = 0; i < 3; i++) {
                    final GuestMemory guest = Guests.filled(Guests.anonymous(List.of(new BlockSpec(0, "pc.ram",
                        (256L + random.nextInt(768)) * Guests.PAGE))), seed + i);
                    guests.add(guest);
                    final Workload workload = new Workload(guest.block(0), 0, HOT_PAGES, 1, 100_000, seed + i)
                        .stampInitial().start();
                    workloads.add(workload);
                    sources.add(MigrationSource.start(new MigrationSource.Context()
                        .destination(incoming.localAddress()).memory(guest).secret(Guests.SECRET).name("g" + i)
                        .channels(1 + random.nextInt(4)).guestControl(WorkloadGuest.of(workload))
                        .maxRounds(8 + random.nextInt(12)).switchoverDirtyBytes(-1).downtimeLimitMs(0)
                        .autoConverge(false)));
                }
                for (int i = 0; i < 3; i++) {
                    final MigrationResult sent = sources.get(i).result().get(120, TimeUnit.SECONDS);
                    if (hold) {
                        assertEquals(MigrationStatus.COMPLETED, sent.status(), "seed " + seed + ": " + sent.error());
                    }
                    final MigrationResult received = incoming.next(30, TimeUnit.SECONDS).result().get(60,
                        TimeUnit.SECONDS);
                    if (null != received.memory()) {
                        received.memory().close();
                    }
                }
            } finally {
                workloads.forEach(Workload::close);
                sources.forEach(MigrationSource::close);
                guests.forEach(GuestMemory::close);
            }
        }
        System.out.println("ManySessionsCampaignTest: " + seeds + " shapes of three sessions from seed " + firstSeed +
            (hold ? ", hold on" : ", hold OFF") + ": " + hotPages.applies() + " hot-page applies checked, stale: " +
            hotPages.backwards());
    }

    /** {@code context} with the hold as given and every hot page's applied version checked against the last. */
    private MigrationDestination.Context checked(final MigrationDestination.Context context, final boolean hold) {
        return context.holdAtSync(hold).pageApplyListener(hotPages);
    }
}
