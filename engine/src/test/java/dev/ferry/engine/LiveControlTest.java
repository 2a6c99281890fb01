package dev.ferry.engine;

import dev.ferry.memory.GuestMemory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The source facade's live setters, on a running migration: a bandwidth cap that would take minutes is lifted and
 * the migration completes at once; a new downtime limit shows in the statistics; a concluded Context refuses
 * changes (they would not reach the running migration).
 */
final class LiveControlTest {
    @Test
    @Timeout(60)
    void liftingTheCapAndChangingTheLimitReachTheRunningMigration() throws Exception {
        try (GuestMemory source = Guests.filled(Guests.anonymous(Guests.SPECS), 3);
             MigrationDestination destination = MigrationDestination.start(new MigrationDestination.Context()
                 .secret(Guests.SECRET))) {
            final MigrationSource.Context context = new MigrationSource.Context()
                .destination(destination.localAddress()).memory(source).secret(Guests.SECRET)
                .maxBandwidthBytesPerSec(64 << 10); // 14 MiB at 64 KiB/s: minutes
            try (MigrationSource migration = MigrationSource.start(context)) {
                assertThrows(FerryException.class, () -> context.channels(4), "a started Context is frozen");
                Thread.sleep(200);
                assertFalse(migration.result().isDone(), "the cap holds the migration back");
                migration.downtimeLimit(Duration.ofMillis(999));
                assertEquals(999, migration.stats().convergence().downtimeLimitMs());
                migration.downtimeLimitMs(1234);
                migration.maxBandwidth(32 << 10);
                assertEquals(32 << 10, migration.stats().convergence().maxBandwidthBytesPerSec());
                migration.maxBandwidthBytesPerSec(0);
                assertEquals(1234, migration.stats().convergence().downtimeLimitMs());
                assertEquals(0, migration.stats().convergence().maxBandwidthBytesPerSec());
                // Each sender had reserved its next 1 MiB packet 16 s ahead at the old rate: lifting the cap must
                // not wait for those reservations (it did, 23 s, before the limiter gave up waits at a change).
                final MigrationResult result = migration.result().get(8, TimeUnit.SECONDS);
                assertEquals(MigrationStatus.COMPLETED, result.status(), result.error());
                assertEquals(1234, result.stats().convergence().downtimeLimitMs());
            } finally {
                final MigrationResult received = destination.result().get();
                if (null != received.memory()) {
                    Guests.assertSameMemory(source, received.memory());
                    received.memory().close();
                }
            }
        }
    }

    @Test
    void anUnusedAddressIsStillRefusedByValidationNotByTheFreeze() {
        final MigrationSource.Context context = new MigrationSource.Context()
            .destination(new InetSocketAddress("127.0.0.1", 9)).secret(Guests.SECRET);
        final FerryException refused = assertThrows(FerryException.class, context::conclude);
        assertEquals(ErrorCode.CONFIGURATION, refused.code());
        context.memory(Guests.anonymous(Guests.SPECS)); // a Context that failed to conclude may still be corrected
        context.memory().close();
    }
}
