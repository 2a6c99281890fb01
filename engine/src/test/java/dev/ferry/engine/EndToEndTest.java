package dev.ferry.engine;

import dev.ferry.engine.cli.WorkloadGuest;
import dev.ferry.memory.GuestMemory;
import dev.ferry.memory.RamBlock;
import dev.ferry.memory.internal.Workload;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Whole migrations on loopback; each ends by comparing destination memory with source memory byte for byte. */
final class EndToEndTest {
    @TempDir
    Path dir;

    static Stream<Arguments> variants() {
        return Stream.of(
            Arguments.of(1, false, false),
            Arguments.of(2, true, false),
            Arguments.of(4, false, true),
            Arguments.of(8, true, true),
            Arguments.of(2, false, true),
            Arguments.of(8, false, false));
    }

    @ParameterizedTest(name = "channels={0} dirtying={1} fileBacked={2}")
    @MethodSource("variants")
    @Timeout(60)
    void destinationEqualsSource(final int channels, final boolean dirtying, final boolean fileBacked)
        throws Exception {
        try (GuestMemory source = Guests.filled(fileBacked ?
            Guests.file(dir.resolve("source.ram"), Guests.SPECS) : Guests.anonymous(Guests.SPECS), channels)) {
            final Path destinationFile = dir.resolve("destination.ram");
            final MemoryFactory factory = fileBacked ? MemoryFactory.file(destinationFile) : MemoryFactory.anonymous();
            final RamBlock hot = source.block(0);
            final Workload workload = dirtying ? new Workload(hot, 100, 1024, 2, 50_000, channels).start() : null;
            final AtomicReference<byte[]> deviceState = new AtomicReference<>();
            final MigrationResult[] results = migrate(source, channels, factory,
                null == workload ? GuestControl.NONE : WorkloadGuest.of(workload), deviceState);
            try {
                final MigrationResult src = results[0];
                final MigrationResult dst = results[1];
                assertEquals(MigrationStatus.COMPLETED, src.status(), src.error());
                assertEquals(MigrationStatus.COMPLETED, dst.status(), dst.error());
                assertTrue(src.verified() && dst.verified());
                if (dirtying) {
                    assertTrue(workload.isPaused(), "after a verified completion the source stays paused");
                }
                Guests.assertSameMemory(source, dst.memory());
                assertArrayEquals("device-state".getBytes(), deviceState.get());
                assertEquals(src.stats().normalPages(), dst.stats().normalPages());
                assertEquals(src.stats().zeroPages(), dst.stats().zeroPages());
                assertTrue(src.stats().zeroPages() > 0, "the mixed guest has zero pages");
                assertTrue(src.stats().transferredBytes() >= src.stats().normalPages() * Guests.PAGE);
                if (fileBacked) {
                    assertEquals(source.totalBytes(), Files.size(destinationFile));
                }
            } finally {
                if (null != workload) {
                    workload.close();
                }
                results[1].memory().close();
            }
        }
        Guests.assertNoFerryThreads();
    }

    @Test
    @Timeout(60)
    void stopAndCopyWithVerificationOff() throws Exception {
        try (GuestMemory source = Guests.filled(Guests.anonymous(Guests.SPECS), 5)) {
            final MigrationDestination destination = MigrationDestination.start(new MigrationDestination.Context()
                .secret(Guests.SECRET).verify(VerifyMode.NONE));
            final MigrationSource migration = MigrationSource.start(new MigrationSource.Context()
                .destination(destination.localAddress()).memory(source).secret(Guests.SECRET)
                .verify(VerifyMode.NONE).maxRounds(1).channels(3));
            final MigrationResult src = migration.result().get();
            final MigrationResult dst = destination.result().get();
            assertEquals(MigrationStatus.COMPLETED, src.status(), src.error());
            assertEquals(1, src.stats().rounds());
            assertTrue(!src.verified() && !dst.verified(), "--verify none reports verified false");
            Guests.assertSameMemory(source, dst.memory());
            dst.memory().close();
        }
    }

    @Test
    @Tag("slow")
    @Timeout(300)
    void blockLargerThanTwoGib() throws Exception {
        final Path shm = Files.isDirectory(Path.of("/dev/shm")) ? Path.of("/dev/shm") : dir;
        final Path sourceFile = Files.createTempFile(shm, "ferry-big-source", ".ram");
        final Path destinationFile = Files.createTempFile(shm, "ferry-big-destination", ".ram");
        try (GuestMemory source = Guests.file(sourceFile,
            List.of(new dev.ferry.memory.BlockSpec(0, "pc.ram", 3L << 30), new dev.ferry.memory.BlockSpec(1, "b", 1L << 20)))) {
            Guests.filled(source, 3);
            final Workload workload = new Workload(source.block(0), (1L << 30) / Guests.PAGE - 512, 1024, 1, 20_000, 1)
                .start();
            final MigrationResult[] results = migrate(source, 2, MemoryFactory.file(destinationFile), WorkloadGuest.of(workload),
                new AtomicReference<>());
            try {
                assertEquals(MigrationStatus.COMPLETED, results[0].status(), results[0].error());
                Guests.assertSameMemory(source, results[1].memory());
            } finally {
                workload.close();
                results[1].memory().close();
            }
        } finally {
            Files.deleteIfExists(sourceFile);
            Files.deleteIfExists(destinationFile);
        }
    }

    static MigrationResult[] migrate(
        final GuestMemory source, final int channels, final MemoryFactory factory, final GuestControl guest,
        final AtomicReference<byte[]> deviceState) throws Exception {
        final MigrationDestination destination = MigrationDestination.start(new MigrationDestination.Context()
            .secret(Guests.SECRET).memoryFactory(factory).deviceStateConsumer(deviceState::set));
        final MigrationSource migration = MigrationSource.start(new MigrationSource.Context()
            .destination(destination.localAddress()).memory(source).secret(Guests.SECRET).channels(channels)
            .guestControl(guest).maxRounds(8).switchoverDirtyBytes(256 * 1024)
            .deviceState("device-state"::getBytes));
        return new MigrationResult[] {migration.result().get(), destination.result().get()};
    }
}
