package dev.ferry.engine;

import dev.ferry.engine.cli.WorkloadGuest;
import dev.ferry.memory.BlockSpec;
import dev.ferry.memory.GuestMemory;
import dev.ferry.memory.RamBlock;
import dev.ferry.memory.internal.Fill;
import dev.ferry.memory.internal.Workload;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Whole migrations with each codec: the destination must equal the source byte for byte whatever the content, the
 * ratio must be what the content allows, and random pages must travel raw.
 */
@Timeout(60)
final class CompressionTest {
    private static MigrationResult[] migrate(final GuestMemory source, final Compression compression,
        final GuestControl guest) throws Exception {
        try (MigrationDestination destination = MigrationDestination.start(new MigrationDestination.Context()
            .secret(Guests.SECRET))) {
            final MigrationResult src = MigrationSource.start(new MigrationSource.Context()
                .destination(destination.localAddress()).memory(source).secret(Guests.SECRET).channels(3)
                .compression(compression).guestControl(guest)).result().get(45, TimeUnit.SECONDS);
            return new MigrationResult[] {src, destination.result().get(10, TimeUnit.SECONDS)};
        }
    }

    private static void assertMigrated(final GuestMemory source, final MigrationResult[] results) {
        final String both = "source: " + results[0].status() + " " + results[0].errorCode() + " " + results[0].error() +
            "; destination: " + results[1].status() + " " + results[1].errorCode() + " " + results[1].error();
        assertEquals(MigrationStatus.COMPLETED, results[0].status(), both);
        assertEquals(MigrationStatus.COMPLETED, results[1].status(), both);
        assertTrue(results[0].verified() && results[1].verified());
        Guests.assertSameMemory(source, results[1].memory());
    }

    /** Closes the destination's memory, if it kept it (a failed migration discards it). */
    private static void closeReceived(final MigrationResult[] results) {
        if (null != results[1].memory()) {
            results[1].memory().close();
        }
    }

    private static double ratio(final MigrationStats stats) {
        return (double)stats.compression().pageBytes() / stats.compression().payloadBytes();
    }

    @ParameterizedTest
    @EnumSource(value = Compression.class, names = {"ZSTD", "ZLIB"})
    void aCompressibleDirtiedGuestArrivesWholeAtAboutThreeToOne(final Compression compression) throws Exception {
        try (GuestMemory source = Guests.anonymous(Guests.SPECS)) {
            for (final RamBlock block : source.blocks()) {
                Fill.compressible(block, 1.0 / 3, block.id());
            }
            Fill.zero(source.block(3));
            final MigrationResult[] results;
            try (Workload workload = new Workload(source.block(0), 0, 256, 1, 20_000, 5).start()) {
                results = migrate(source, compression, WorkloadGuest.of(workload));
            }
            try {
                assertMigrated(source, results);
                for (final MigrationResult result : results) {
                    final MigrationStats stats = result.stats();
                    assertEquals(compression.cliName(), stats.compression().codec());
                    assertTrue(ratio(stats) > 2.0, result.stats().role() + " ratio " + ratio(stats));
                    assertTrue(stats.toJson().contains("\"compression\": \"" + compression.cliName() + "\""));
                    assertTrue(stats.zeroPages() >= 64, "zero pages stay zero pages: " + stats.zeroPages());
                }
                assertEquals(results[0].stats().compression().payloadBytes(),
                    results[1].stats().compression().payloadBytes(), "both sides count the same wire bytes");
            } finally {
                closeReceived(results);
            }
        }
        Guests.assertNoFerryThreads();
    }

    /**
     * Pages of 64 KiB make 8-page frames, 16 to a packet; every third frame is random, so packets mix compressed
     * frames with raw ones, and a dirtying workload makes frames of pages that are not one run (gathered).
     */
    @ParameterizedTest
    @EnumSource(value = Compression.class, names = {"ZSTD", "ZLIB"})
    void largePagesMixRawAndCompressedFramesInOnePacket(final Compression compression) throws Exception {
        final int pageSize = 64 * 1024;
        try (GuestMemory source = GuestMemory.anonymous(List.of(new BlockSpec(0, "pc.ram", 32L << 20)), pageSize)) {
            final RamBlock block = source.block(0);
            Fill.compressible(block, 1.0 / 3, 11);
            final SplittableRandom random = new SplittableRandom(11);
            for (long page = 0; page < block.pageCount(); page++) {
                if (page / 8 % 3 == 1) {
                    for (int i = 0; i < pageSize; i += Long.BYTES) {
                        block.windowOfPage(page).putLong(block.offsetInWindow(page) + i, random.nextLong());
                    }
                }
            }
            final MigrationResult[] results;
            try (Workload workload = new Workload(block, 0, 256, 1, 5_000, 5).start()) {
                results = migrate(source, compression, WorkloadGuest.of(workload));
            }
            try {
                assertMigrated(source, results);
                final double ratio = ratio(results[0].stats());
                assertTrue(ratio > 1.3 && ratio < 2.5, "two thirds compressed about 3:1, a third raw: " + ratio);
            } finally {
                closeReceived(results);
            }
        }
    }

    @Test
    void randomPagesTravelRawAndCostNoWireBytes() throws Exception {
        try (GuestMemory source = Guests.anonymous(Guests.SPECS)) {
            for (final RamBlock block : source.blocks()) {
                Fill.random(block, block.id());
            }
            final MigrationResult[] results = migrate(source, Compression.ZSTD, GuestControl.NONE);
            try {
                assertMigrated(source, results);
                final MigrationStats stats = results[0].stats();
                assertEquals(stats.normalPages() * Guests.PAGE, stats.compression().pageBytes());
                assertEquals(stats.compression().pageBytes(), stats.compression().payloadBytes(),
                    "no random page shrinks, so every one travels raw");
            } finally {
                closeReceived(results);
            }
        }
    }

    @Test
    void withoutCompressionTheJsonSaysNoneAndNoRatio() throws Exception {
        try (GuestMemory source = Guests.filled(Guests.anonymous(Guests.SPECS), 3)) {
            final MigrationResult[] results = migrate(source, Compression.NONE, GuestControl.NONE);
            try {
                assertMigrated(source, results);
                final String json = results[1].stats().toJson();
                assertTrue(json.contains("\"compression\": \"none\",\n  \"compression-ratio\": null"), json);
            } finally {
                closeReceived(results);
            }
        }
    }
}
