package dev.ferry.engine.stats;

import dev.ferry.engine.MigrationDestination;
import dev.ferry.engine.MigrationResult;
import dev.ferry.engine.MigrationSource;
import dev.ferry.engine.MigrationStatus;
import dev.ferry.engine.Secret;
import dev.ferry.memory.BlockSpec;
import dev.ferry.memory.GuestMemory;
import dev.ferry.memory.internal.Fill;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What {@code ferry stat} reads from another process, read here the same way (the mapped files of a counters
 * directory): the headline counters move while round 0 is still running, on both sides, instead of reading 0 until
 * the end; and a counters file left by a process that is gone is removed by the next process that makes one.
 * <p>
 * Their teeth, 2026-12-03: with the live refresh turned off, the first failed ("source mid-round: {...,
 * transferred-bytes=0, ..., channel-bytes[0]=24164904, ...}"); without the removal, the second failed ("the dead
 * process's file is removed").
 */
@Timeout(60)
final class LiveCountersTest {
    private static final Secret SECRET = Secret.of("live-counters-test-secret".getBytes(StandardCharsets.US_ASCII));

    @TempDir
    Path dir;

    private static Map<String, Long> values(final Path counters, final String role) throws Exception {
        return CountersFile.readAll(counters).stream().filter(sample -> role.equals(sample.role()))
            .collect(Collectors.toMap(CountersFile.Sample::label, CountersFile.Sample::value, (a, b) -> b));
    }

    /** 64 MiB at 16 MiB/s: round 0 takes about 4 s, and the headline counters must move within it. */
    @Test
    void headlineCountersMoveMidRound() throws Exception {
        final Path counters = dir.resolve("counters");
        try (GuestMemory source = GuestMemory.anonymous(List.of(new BlockSpec(0, "ram", 64L << 20)), 4096)) {
            Fill.random(source.block(0), 3);
            final MigrationDestination destination = MigrationDestination.start(new MigrationDestination.Context()
                .secret(SECRET).countersDirectory(counters));
            final MigrationSource migration = MigrationSource.start(new MigrationSource.Context()
                .destination(destination.localAddress()).memory(source).secret(SECRET)
                .maxBandwidthBytesPerSec(16L << 20).countersDirectory(counters));
            Map<String, Long> sent = Map.of();
            Map<String, Long> received = Map.of();
            final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
            while (System.nanoTime() < deadlineNs && !migration.result().isDone()) {
                sent = values(counters, "source");
                received = values(counters, "destination");
                if (sent.getOrDefault("transferred-bytes", 0L) > 4L << 20 &&
                    received.getOrDefault("transferred-bytes", 0L) > 4L << 20 &&
                    sent.getOrDefault("normal-pages", 0L) > 0 && received.getOrDefault("total-time-ms", 0L) > 0) {
                    break;
                }
                Thread.sleep(20);
            }
            assertFalse(migration.result().isDone(), "round 0 must still run while the counters are read");
            assertTrue(sent.getOrDefault("transferred-bytes", 0L) > 4L << 20, "source mid-round: " + sent);
            assertTrue(sent.getOrDefault("normal-pages", 0L) > 0, "source mid-round: " + sent);
            assertTrue(sent.getOrDefault("total-time-ms", 0L) > 0, "source mid-round: " + sent);
            assertTrue(received.getOrDefault("transferred-bytes", 0L) > 4L << 20, "destination mid-round: " + received);
            assertTrue(received.getOrDefault("total-time-ms", 0L) > 0, "destination mid-round: " + received);
            migration.cancel();
            final MigrationResult result = migration.result().get(30, TimeUnit.SECONDS);
            assertEquals(MigrationStatus.CANCELLED, result.status(), result.error());
            destination.result().get(30, TimeUnit.SECONDS);
            destination.close();
        }
    }

    /**
     * A file named as Ferry names them, of a process id that is not alive, whose lock nobody holds, goes; others
     * stay.
     */
    @Test
    void aDeadProcesssFileIsRemovedByTheNextOne() throws Exception {
        final Path counters = dir.resolve("counters");
        Files.createDirectory(counters, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        long dead = 4_194_000;
        while (ProcessHandle.of(dead).isPresent()) {
            dead--;
        }
        final Path stale = Files.writeString(counters.resolve(dead + "-source-1" + CountersFile.SUFFIX), "old");
        final Path alive = Files.writeString(counters.resolve("1-source-1" + CountersFile.SUFFIX), "pid 1 lives");
        final Path other = Files.writeString(counters.resolve("notes.txt"), "not ours");
        final Path link = counters.resolve(dead + "-destination-2" + CountersFile.SUFFIX);
        Files.createSymbolicLink(link, other);
        // A live file whose process id means nothing here (a process in another pid namespace): its owner's lock
        // keeps it. Made by this process and renamed, so the lock is held (in this JVM, which the check sees too).
        try (CountersFile inUse = CountersFile.create(counters, "destination", 8)) {
            final Path foreign = counters.resolve((dead - 1) + "-destination-7" + CountersFile.SUFFIX);
            Files.move(inUse.path(), foreign);
            try (CountersFile file = CountersFile.create(counters, "source", 8)) {
                assertTrue(Files.exists(foreign), "a file whose lock is held stays, whatever its process id");
                assertTrue(Files.exists(file.path()));
            }
            Files.move(foreign, inUse.path());
        }
        try (CountersFile file = CountersFile.create(counters, "source", 8)) {
            assertFalse(Files.exists(stale), "the dead process's file is removed");
            assertTrue(Files.exists(alive), "a live process's file stays");
            assertTrue(Files.exists(other), "a file Ferry did not name stays");
            assertTrue(Files.isSymbolicLink(link), "a link is neither followed nor removed");
            assertTrue(Files.exists(file.path()));
        }
    }
}
