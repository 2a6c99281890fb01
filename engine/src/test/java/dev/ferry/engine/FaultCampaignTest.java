package dev.ferry.engine;

import dev.ferry.engine.cli.WorkloadGuest;
import dev.ferry.memory.BlockSpec;
import dev.ferry.memory.GuestMemory;
import dev.ferry.memory.internal.Workload;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Faults at random, seeded: each run migrates a dirtying 8 MiB guest over two channels through a {@link FaultProxy}
 * that cuts or stalls one connection (main or data, either direction) after a random number of bytes, and, one run
 * in four, cancels one side at a random moment. Whatever happens, each run must end: the source failed or
 * cancelled with its guest running again, or completed and verified, or {@code unknown} (only once the destination
 * said APPLIED) with its guest still paused; the destination completed only if the source could be, its file gone
 * otherwise; the end within 10 s of the fault. After the campaign no Ferry thread is left and a clean migration on
 * the same port succeeds. {@code -Dferry.faults.runs=N} (default 12) sets the runs; docs/reliability.md holds a
 * campaign's figures.
 */
final class FaultCampaignTest {
    private static final long GUEST = 8L << 20;
    private static final long END_BOUND_MS = 10_000;

    @TempDir
    Path dir;

    @Test
    @Timeout(3600)
    void everyFaultEndsCleanly() throws Exception {
        final int runs = Integer.getInteger("ferry.faults.runs", 12);
        final long firstSeed = Long.getLong("ferry.faults.seed", System.nanoTime());
        final int port;
        try (ServerSocket probe = new ServerSocket(0)) {
            port = probe.getLocalPort();
        }
        final Map<FaultProxy.Kind, List<Long>> faultToEndMs = new java.util.EnumMap<>(FaultProxy.Kind.class);
        final Map<String, Integer> outcomes = new TreeMap<>();
        for (int i = 0; i < runs; i++) {
            final long seed = firstSeed + i;
            run(new SplittableRandom(seed), seed, port, outcomes, faultToEndMs);
        }
        final MigrationResult clean = migrate(port, null, null, new SplittableRandom(firstSeed), -1)[0];
        assertEquals(MigrationStatus.COMPLETED, clean.status(), "a clean migration on the same port: " + clean.error());
        Guests.assertNoFerryThreads();
        final StringBuilder timings = new StringBuilder();
        faultToEndMs.forEach((kind, ms) -> {
            ms.sort(Long::compare);
            timings.append("; ").append(kind).append(" to end, ms: ").append(percentiles(ms));
        });
        System.out.println("FaultCampaignTest: " + runs + " runs from seed " + firstSeed + ": " + outcomes + timings);
    }

    private static String percentiles(final List<Long> sorted) {
        if (sorted.isEmpty()) {
            return "no fault fired";
        }
        return "p50 " + sorted.get(sorted.size() / 2) + ", p99 " + sorted.get((int)Math.min(sorted.size() - 1,
            Math.ceil(sorted.size() * 0.99) - 1)) + ", max " + sorted.get(sorted.size() - 1) + " (" + sorted.size() +
            " fired)";
    }

    /** One run; returns the milliseconds from the fault to the end of both sides, or -1 if it never fired. */
    private long run(final SplittableRandom random, final long seed, final int port, final Map<String, Integer> outcomes,
        final Map<FaultProxy.Kind, List<Long>> faultToEndMs) throws Exception {
        final boolean toDestination = random.nextInt(4) != 0;
        final int connection = random.nextInt(3);
        // The main channel carries a few hundred bytes each way, a data channel about half the guest.
        final FaultProxy.Fault fault = new FaultProxy.Fault(connection, toDestination,
            connection == 0 || !toDestination ? random.nextLong(400) : random.nextLong(GUEST / 2),
            random.nextBoolean() ? FaultProxy.Kind.CUT : FaultProxy.Kind.STALL);
        final Path file = dir.resolve("destination-" + seed + ".ram");
        final long[] fired = new long[2];
        final MigrationResult[] results = migrate(port, fault, file, random, seed, fired);
        final MigrationResult source = results[0];
        final MigrationResult destination = results[1];
        final String where = "seed " + seed + " " + fault + ": source " + source.status() + " (" + source.error() +
            "), destination " + destination.status() + " (" + destination.error() + ")";
        if (destination.status() == MigrationStatus.COMPLETED) {
            assertTrue(source.status() == MigrationStatus.COMPLETED || source.status() == MigrationStatus.UNKNOWN, where);
        } else {
            assertFalse(Files.exists(file), "the destination's file must be gone: " + where);
        }
        outcomes.merge(source.status() + "/" + destination.status(), 1, Integer::sum);
        Files.deleteIfExists(file);
        if (fired[0] != 0) {
            faultToEndMs.computeIfAbsent(fault.kind(), kind -> new ArrayList<>()).add(fired[1]);
        }
        return fired[0] == 0 ? -1 : fired[1];
    }

    private MigrationResult[] migrate(final int port, final FaultProxy.Fault fault, final Path file,
        final SplittableRandom random, final long seed) throws Exception {
        return migrate(port, fault, file, random, seed, new long[2]);
    }

    /**
     * Migrates through a proxy with {@code fault} (none if null) to a destination on {@code port}; checks the
     * source's guest; returns both results. {@code fired[0]} becomes 1 if the fault fired, {@code fired[1]} the
     * milliseconds from it to the end of both sides.
     */
    private MigrationResult[] migrate(final int port, final FaultProxy.Fault fault, final Path file,
        final SplittableRandom random, final long seed, final long[] fired) throws Exception {
        try (GuestMemory memory = Guests.filled(Guests.anonymous(List.of(new BlockSpec(0, "pc.ram", GUEST))), seed);
             Workload workload = new Workload(memory.block(0), 0, 256, 1, 2_000, seed).start();
             MigrationDestination destination = MigrationDestination.start(new MigrationDestination.Context()
                 .listen(new InetSocketAddress("127.0.0.1", port)).secret(Guests.SECRET)
                 .memoryFactory(null == file ? MemoryFactory.anonymous() : MemoryFactory.file(file))
                 .barrierTimeoutMs(2_000).idleTimeoutMs(2_000).verifyTimeoutMs(5_000).digestThreads(1)
                 .warnings(message -> { }));
             FaultProxy proxy = null == fault ? new FaultProxy(destination.localAddress()) :
                 new FaultProxy(destination.localAddress(), fault);
             MigrationSource source = MigrationSource.start(new MigrationSource.Context()
                 .destination(proxy.address()).memory(memory).secret(Guests.SECRET).channels(2).digestThreads(1)
                 .guestControl(WorkloadGuest.of(workload)).barrierTimeoutMs(2_000).connectTimeoutMs(2_000)
                 .appliedTimeoutMs(5_000).resultTimeoutMs(5_000))) {
            if (null != fault && random.nextInt(4) == 0) {
                final boolean cancelSource = random.nextBoolean();
                final long delayMs = random.nextLong(300);
                CompletableFuture.delayedExecutor(delayMs, TimeUnit.MILLISECONDS).execute(() -> {
                    if (cancelSource) {
                        source.cancel("fault campaign");
                    } else {
                        destination.cancel();
                    }
                });
            }
            final MigrationResult sourceResult = end(source.result(), "source", seed, fault, source.stats().status());
            final long sourceEndNs = System.nanoTime();
            final boolean noSession = waitingForASource(destination, sourceResult);
            final MigrationResult destinationResult = end(destination.result(), "destination", seed, fault,
                destination.stats().status());
            final long endNs = noSession ? sourceEndNs : System.nanoTime();
            if (proxy.firedNs() != 0) {
                fired[0] = 1;
                fired[1] = TimeUnit.NANOSECONDS.toMillis(endNs - proxy.firedNs());
                assertTrue(fired[1] <= END_BOUND_MS, "seed " + seed + " " + fault + ": ended " + fired[1] +
                    " ms after the fault");
            }
            checkGuest(sourceResult, workload, "seed " + seed + " " + fault);
            if (null != destinationResult.memory()) {
                destinationResult.memory().close();
            }
            return new MigrationResult[] {sourceResult, destinationResult};
        }
    }

    /**
     * A fault in the main channel's handshake leaves the destination without a session: it keeps listening for a
     * source, as a receiver should (with a session, its idle timeout, 2 s here, or while verifying its verify
     * timeout, 5 s here, ends it). Such a destination still
     * in status setup 15 s after its source ended is cancelled, and must then end cancelled.
     */
    private static boolean waitingForASource(final MigrationDestination destination, final MigrationResult source)
        throws Exception {
        try {
            destination.result().get(15, TimeUnit.SECONDS);
            return false;
        } catch (final java.util.concurrent.TimeoutException ex) {
            assertEquals("setup", destination.stats().status(), "a destination with a session must end on its own; " +
                "the source: " + source.error());
            destination.cancel();
            return true;
        }
    }

    /** The result, or a failure naming the run if it does not come within 60 s (a hang). */
    private static MigrationResult end(final CompletableFuture<MigrationResult> result, final String side,
        final long seed, final FaultProxy.Fault fault, final String statusBefore) throws Exception {
        try {
            return result.get(60, TimeUnit.SECONDS);
        } catch (final java.util.concurrent.TimeoutException ex) {
            throw new AssertionError("seed " + seed + " " + fault + ": the " + side + " did not end within 60 s (status " +
                statusBefore + ")", ex);
        }
    }

    private static void checkGuest(final MigrationResult source, final Workload workload, final String where) {
        switch (source.status()) {
            case COMPLETED:
                assertTrue(source.verified(), where);
                assertTrue(workload.isPaused(), "completed: the guest lives on the destination: " + where);
                break;
            case UNKNOWN:
                assertTrue(workload.isPaused(), "unknown: the guest must stay paused: " + where);
                break;
            case FAILED:
            case CANCELLED:
                assertFalse(workload.isPaused(), "the guest must run again: " + where + ": " + source.error());
                break;
            default:
                throw new AssertionError("not ended: " + source.status() + " " + where);
        }
    }
}
