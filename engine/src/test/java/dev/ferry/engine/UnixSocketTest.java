package dev.ferry.engine;

import dev.ferry.engine.cli.WorkloadGuest;
import dev.ferry.memory.GuestMemory;
import dev.ferry.memory.internal.Workload;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.UnixDomainSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A local migration over a Unix-domain socket: same handshake and barrier, owner-only socket file, removed after. */
@Timeout(60)
final class UnixSocketTest {
    @TempDir
    Path dir;

    @Test
    void aDirtiedGuestMigratesOverAUnixSocketWhoseFileIsOwnerOnlyAndRemoved() throws Exception {
        final Path socket = dir.resolve("ferry.sock");
        try (GuestMemory source = Guests.filled(Guests.anonymous(Guests.SPECS), 8);
             Workload workload = new Workload(source.block(0), 0, 64, 1, 5_000, 8).start();
             MigrationDestination destination = MigrationDestination.start(new MigrationDestination.Context()
                 .listen(UnixDomainSocketAddress.of(socket)).secret(Guests.SECRET))) {
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)));
            assertEquals(UnixDomainSocketAddress.of(socket), destination.localAddress());
            final MigrationResult result = MigrationSource.start(new MigrationSource.Context()
                .destination(destination.localAddress()).memory(source).secret(Guests.SECRET).channels(3)
                .guestControl(WorkloadGuest.of(workload))).result().get(30, TimeUnit.SECONDS);
            assertEquals(MigrationStatus.COMPLETED, result.status(), result.error());
            assertTrue(result.verified());
            final MigrationResult received = destination.result().get(10, TimeUnit.SECONDS);
            Guests.assertSameMemory(source, received.memory());
            received.memory().close();
        }
        assertFalse(Files.exists(socket), "the socket file is removed when the destination closes");
        Guests.assertNoFerryThreads();
    }

    @Test
    void anExistingSocketFileIsRefusedNotReplaced() throws Exception {
        final Path socket = Files.createFile(dir.resolve("taken.sock"));
        final FerryException refused = assertThrows(FerryException.class, () -> MigrationDestination.start(
            new MigrationDestination.Context().listen(UnixDomainSocketAddress.of(socket)).secret(Guests.SECRET)));
        assertTrue(refused.getMessage().contains("cannot listen on " + socket), refused.getMessage());
        assertTrue(Files.exists(socket), "someone else's file is left alone");
    }
}
