package dev.ferry.engine;

import dev.ferry.engine.cli.WorkloadGuest;
import dev.ferry.engine.stats.LatencyHistograms;
import dev.ferry.memory.BlockSpec;
import dev.ferry.memory.GuestMemory;
import dev.ferry.memory.internal.Workload;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.HdrHistogram.EncodableHistogram;
import org.HdrHistogram.HistogramLogReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Convergence end to end, independent of the machine's speed: the bandwidth cap (4 MiB/s) sits far below what the
 * guest dirties (50,000 pages/s, 200 MB/s, on a 2 MiB hot set), so without a throttle the dirty set never fits the
 * limit, whatever the CPU. No assertion on a wall-clock figure.
 */
@Timeout(120)
final class ConvergenceTest {
    private static final long CAP = 4L << 20;
    private static final long GUEST = 4L << 20;
    private static final long HOT_PAGES = 512;

    @TempDir
    Path dir;

    /** Migrates a hot guest under the cap; {@code tune} adds to the source's context; {@code during} runs meanwhile. */
    private MigrationResult migrate(final Workload workload, final GuestMemory memory,
        final Consumer<MigrationSource.Context> tune, final Consumer<MigrationSource> during) throws Exception {
        try (MigrationDestination destination = MigrationDestination.start(new MigrationDestination.Context()
            .secret(Guests.SECRET))) {
            final MigrationSource.Context context = new MigrationSource.Context().destination(destination.localAddress())
                .memory(memory).secret(Guests.SECRET).guestControl(WorkloadGuest.of(workload))
                .maxBandwidthBytesPerSec(CAP).downtimeLimitMs(100).switchoverDirtyBytes(-1);
            tune.accept(context);
            try (MigrationSource source = MigrationSource.start(context)) {
                during.accept(source);
                final MigrationResult result = source.result().get(60, TimeUnit.SECONDS);
                final MigrationResult other = destination.result().get(30, TimeUnit.SECONDS);
                if (result.isCompleted()) {
                    assertTrue(other.isCompleted() && other.verified(), other.toString());
                    other.memory().close();
                }
                if (null != histograms) {
                    source.writeHistogramLog(histograms);
                }
                return result;
            }
        }
    }

    private ByteArrayOutputStream histograms;

    private static GuestMemory guest() {
        return Guests.filled(Guests.anonymous(List.of(new BlockSpec(0, "pc.ram", GUEST))), 3);
    }

    private static Workload hot(final GuestMemory memory) {
        return new Workload(memory.block(0), 0, HOT_PAGES, 1, 50_000, 5).start();
    }

    @Test
    void autoConvergeThrottlesAHotGuestUntilItFitsAndLiftsTheThrottle(@TempDir final Path jfrDir) throws Exception {
        histograms = new ByteArrayOutputStream();
        final Path jfr = jfrDir.resolve("convergence.jfr");
        final MigrationResult result;
        try (GuestMemory memory = guest(); Workload workload = hot(memory); Recording recording = new Recording()) {
            recording.enable("dev.ferry.Round");
            recording.enable("dev.ferry.BarrierWait");
            recording.enable("dev.ferry.Switchover");
            recording.enable("dev.ferry.Throttle");
            recording.enable("dev.ferry.Verification");
            recording.start();
            result = migrate(workload, memory, context -> { }, source -> { });
            recording.stop();
            recording.dump(jfr);
            assertEquals(0, workload.throttlePercent(), "the throttle is lifted at the end");
        }
        assertEquals(MigrationStatus.COMPLETED, result.status(), result.toString());
        final MigrationStats stats = result.stats();
        assertEquals("downtime-limit", stats.convergence().switchoverReason(), stats.toJson());
        final int peak = stats.convergence().roundHistory().stream().mapToInt(r -> r.throttlePercent()).max().orElse(0);
        assertTrue(peak > 50, "only a throttle makes this guest converge: " + stats.toJson());
        assertTrue(stats.convergence().finalRoundUncapped(), stats.toJson());
        assertEquals(CAP, stats.convergence().maxBandwidthBytesPerSec());
        assertTrue(stats.convergence().workloadWritesPerSec() > 0, stats.toJson());
        assertOneIntervalPerRound(histograms.toByteArray(), stats.rounds());
        final Map<String, Integer> events = new HashMap<>();
        for (final RecordedEvent event : RecordingFile.readAllEvents(jfr)) {
            events.merge(event.getEventType().getName(), 1, Integer::sum);
        }
        assertEquals(stats.rounds(), (long)events.getOrDefault("dev.ferry.Round", 0), events.toString());
        assertEquals(1, events.getOrDefault("dev.ferry.Switchover", 0), events.toString());
        assertTrue(events.getOrDefault("dev.ferry.Throttle", 0) >= 2, "up, then lifted: " + events);
        assertTrue(events.getOrDefault("dev.ferry.BarrierWait", 0) >= 2 * stats.rounds(), "both sides: " + events);
        assertEquals(2, events.getOrDefault("dev.ferry.Verification", 0), events.toString());
        Guests.assertNoFerryThreads();
    }

    private static void assertOneIntervalPerRound(final byte[] log, final long rounds) {
        final HistogramLogReader reader = new HistogramLogReader(new ByteArrayInputStream(log));
        final Map<String, Integer> intervals = new HashMap<>();
        EncodableHistogram interval;
        double lastEnd = 0;
        while (null != (interval = reader.nextIntervalHistogram())) {
            intervals.merge(interval.getTag(), 1, Integer::sum);
            assertTrue(interval.getEndTimeStamp() >= interval.getStartTimeStamp());
            lastEnd = Math.max(lastEnd, interval.getEndTimeStamp());
        }
        assertTrue(lastEnd > 0);
        for (final String tag : List.of(LatencyHistograms.PACKET_LATENCY_TAG, LatencyHistograms.BARRIER_LATENCY_TAG,
            LatencyHistograms.BITMAP_SYNC_TAG)) {
            assertEquals(rounds, (long)intervals.getOrDefault(tag, 0), tag + ": " + intervals);
        }
    }

    @Test
    void withoutAutoConvergeTheTimeoutFailsItAndTheGuestRunsOnUnthrottled() throws Exception {
        try (GuestMemory memory = guest(); Workload workload = hot(memory)) {
            final MigrationResult result = migrate(workload, memory,
                context -> context.autoConverge(false).timeoutMs(4_000), source -> { });
            assertEquals(MigrationStatus.FAILED, result.status(), result.toString());
            assertEquals(ErrorCode.NOT_CONVERGED, result.errorCode(), result.error());
            assertTrue(result.error().contains("did not converge within 4000 ms"), result.error());
            assertTrue(result.error().contains("bandwidth cap 4.0 MiB/s"), result.error());
            assertFalse(workload.isPaused(), "the guest runs on");
            assertEquals(0, workload.throttlePercent());
            assertTrue(result.stats().rounds() >= 2, result.stats().toJson());
        }
        Guests.assertNoFerryThreads();
    }

    @Test
    void aForcedSwitchoverEndsAMigrationThatWouldNeverConverge() throws Exception {
        try (GuestMemory memory = guest(); Workload workload = hot(memory)) {
            final MigrationResult result = migrate(workload, memory, context -> context.autoConverge(false),
                source -> {
                    awaitRounds(source, 2);
                    source.forceSwitchover();
                });
            assertEquals(MigrationStatus.COMPLETED, result.status(), result.toString());
            assertTrue(result.verified());
            assertEquals("forced", result.stats().convergence().switchoverReason());
        }
        Guests.assertNoFerryThreads();
    }

    @Test
    void aCancelWhileThrottledResumesTheGuestUnthrottled() throws Exception {
        try (GuestMemory memory = guest(); Workload workload = hot(memory)) {
            final MigrationResult result = migrate(workload, memory, context -> { }, source -> {
                final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (workload.throttlePercent() == 0 && System.nanoTime() < deadline) {
                    pause();
                }
                assertTrue(workload.throttlePercent() > 0, "auto-converge throttled the guest");
                source.cancel();
            });
            assertEquals(MigrationStatus.CANCELLED, result.status(), result.toString());
            assertFalse(workload.isPaused());
            assertEquals(0, workload.throttlePercent());
        }
        Guests.assertNoFerryThreads();
    }

    @Test
    void theBandwidthCapHoldsAcrossAllChannels() throws Exception {
        final long cap = 8L << 20;
        try (GuestMemory memory = Guests.filled(Guests.anonymous(List.of(new BlockSpec(0, "pc.ram", 40L << 20))), 9)) {
            final MigrationResult result = migrate(null, memory, context -> context.guestControl(GuestControl.NONE)
                .channels(3).maxBandwidthBytesPerSec(cap), source -> {
                    while (sent(source) == 0) {
                        pause();
                    }
                    final long startNs = System.nanoTime();
                    final long before = sent(source);
                    sleep(2_000);
                    final long after = sent(source);
                    final double seconds = (System.nanoTime() - startNs) / 1e9;
                    assertTrue(after - before <= 1.1 * cap * seconds, (after - before) + " bytes in " + seconds +
                        " s over a cap of " + cap + " bytes/s");
                });
            assertEquals(MigrationStatus.COMPLETED, result.status(), result.toString());
        }
    }

    /**
     * A destination that freezes at switchover (here: its device-state consumer never returns) would keep the
     * source's guest paused for the whole APPLIED timeout (2 minutes); the wait is bounded by the planned downtime
     * plus its margin (300 ms + 5 s), then the guest runs again. The test's own 30 s bound is what fails if not.
     */
    @Test
    void aDestinationFrozenAtSwitchoverKeepsTheGuestPausedOnlyBriefly() throws Exception {
        final CountDownLatch release = new CountDownLatch(1);
        try (GuestMemory memory = Guests.filled(Guests.anonymous(List.of(new BlockSpec(0, "pc.ram", 1L << 20))), 4);
             Workload workload = new Workload(memory.block(0), 0, 16, 1, 1_000, 1).start();
             MigrationDestination destination = MigrationDestination.start(new MigrationDestination.Context()
                 .secret(Guests.SECRET).deviceStateConsumer(state -> awaitQuietly(release)))) {
            try (MigrationSource source = MigrationSource.start(new MigrationSource.Context()
                .destination(destination.localAddress()).memory(memory).secret(Guests.SECRET)
                .guestControl(WorkloadGuest.of(workload)).deviceState(() -> new byte[] {1}))) {
                final MigrationResult result = source.result().get(30, TimeUnit.SECONDS);
                release.countDown();
                assertEquals(MigrationStatus.FAILED, result.status(), result.toString());
                assertEquals(ErrorCode.TIMEOUT, result.errorCode(), result.error());
                assertTrue(result.error().contains("no APPLIED from the destination within 5300 ms"), result.error());
                assertFalse(workload.isPaused(), "the guest runs again");
                assertEquals(MigrationStatus.FAILED, destination.result().get(30, TimeUnit.SECONDS).status());
            }
        }
        Guests.assertNoFerryThreads();
    }

    private static void awaitQuietly(final CountDownLatch latch) {
        try {
            latch.await(60, TimeUnit.SECONDS);
        } catch (final InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
    }

    private static long sent(final MigrationSource source) {
        return source.stats().channelBytes().stream().mapToLong(Long::longValue).sum();
    }

    private static void awaitRounds(final MigrationSource source, final long rounds) {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (source.stats().rounds() < rounds && System.nanoTime() < deadline) {
            pause();
        }
    }

    private static void pause() {
        sleep(10);
    }

    private static void sleep(final long ms) {
        try {
            Thread.sleep(ms);
        } catch (final InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
    }
}
