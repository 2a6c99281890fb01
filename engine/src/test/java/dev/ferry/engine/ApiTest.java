package dev.ferry.engine;

import dev.ferry.memory.GuestMemory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The embedding API's promises: one context per migration, results that callers cannot break, close. */
final class ApiTest {
    @Test
    void aContextConfiguresOneMigration() {
        final MigrationDestination.Context context = new MigrationDestination.Context().secret(Guests.SECRET);
        context.conclude();
        final FerryException ex = assertThrows(FerryException.class, context::conclude);
        assertEquals(ErrorCode.CONFIGURATION, ex.code());
        assertTrue(ex.getMessage().contains("concluded already"), ex.getMessage());
    }

    @Test
    void aCompressionLevelMustFitItsCodec() throws Exception {
        try (GuestMemory memory = Guests.anonymous(Guests.SPECS)) {
            for (final Object[] bad : new Object[][] {
                {Compression.ZSTD, 30, "compression level 30 must be -7..19 for zstd"},
                {Compression.ZLIB, 0, "compression level 0 must be 1..9 for zlib"},
                {Compression.NONE, 3, "compression level 3 needs a codec"}}) {
                final MigrationSource.Context context = new MigrationSource.Context().secret(Guests.SECRET)
                    .destination(new java.net.InetSocketAddress("127.0.0.1", 1)).memory(memory)
                    .compression((Compression)bad[0]).compressionLevel((Integer)bad[1]);
                final FerryException ex = assertThrows(FerryException.class, context::conclude);
                assertTrue(ex.getMessage().contains((String)bad[2]), ex.getMessage());
            }
        }
    }

    @Test
    @Timeout(60)
    void aCallerCompletingItsResultDoesNotEndTheMigration() throws Exception {
        try (GuestMemory source = Guests.filled(Guests.anonymous(Guests.SPECS), 5);
             MigrationDestination destination = MigrationDestination.start(new MigrationDestination.Context()
                 .secret(Guests.SECRET));
             MigrationSource migration = MigrationSource.start(new MigrationSource.Context()
                 .destination(destination.localAddress()).memory(source).secret(Guests.SECRET))) {
            final CompletableFuture<MigrationResult> mine = migration.result();
            assertNotSame(mine, migration.result());
            mine.cancel(true);
            final MigrationResult result = migration.result().get(30, TimeUnit.SECONDS);
            assertEquals(MigrationStatus.COMPLETED, result.status(), result.error());
            assertTrue(result.verified());
            final MigrationResult received = destination.result().get(30, TimeUnit.SECONDS);
            Guests.assertSameMemory(source, received.memory());
            received.memory().close();
        }
        Guests.assertNoFerryThreads();
    }

    @Test
    @Timeout(60)
    void closingAListeningDestinationCancelsItAndEndsItsThreads() throws Exception {
        final MigrationDestination destination = MigrationDestination.start(new MigrationDestination.Context()
            .secret(Guests.SECRET));
        destination.close();
        final MigrationResult result = destination.result().get(1, TimeUnit.SECONDS);
        assertEquals(MigrationStatus.CANCELLED, result.status());
        assertEquals(ErrorCode.CANCELLED, result.errorCode());
        Guests.assertNoFerryThreads();
    }
}
