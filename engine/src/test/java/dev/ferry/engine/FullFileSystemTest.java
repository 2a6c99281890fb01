package dev.ferry.engine;

import dev.ferry.memory.BlockSpec;
import dev.ferry.memory.GuestMemory;
import dev.ferry.memory.internal.Fill;
import dev.ferry.memory.internal.MemoryFiles;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The destination's memory file is sparse, so its file system can fill up under it mid-migration (something else
 * wrote there). On a small tmpfs mounted for the test (root only; skipped, saying why, where mounting is not
 * allowed): the migration fails with a MEMORY error naming the file, the JVM lives, the file is deleted.
 */
@Timeout(60)
final class FullFileSystemTest {
    private static final long TMPFS_BYTES = 24L << 20;

    @TempDir
    Path dir;
    private Path mount;

    @BeforeEach
    void mountSmallTmpfs() throws Exception {
        mount = Files.createDirectories(dir.resolve("small"));
        final Process process = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=" + TMPFS_BYTES, "tmpfs",
            mount.toString()).redirectErrorStream(true).start();
        final String output = new String(process.getInputStream().readAllBytes());
        assumeTrue(process.waitFor(10, TimeUnit.SECONDS) && process.exitValue() == 0,
            "cannot mount a tmpfs here (needs root and CAP_SYS_ADMIN): " + output);
    }

    @AfterEach
    void unmount() throws Exception {
        new ProcessBuilder("umount", "-l", mount.toString()).start().waitFor(10, TimeUnit.SECONDS);
    }

    private static MigrationResult[] migrate(final GuestMemory source, final MigrationDestination.Context context)
        throws Exception {
        return migrate(source, context, Compression.NONE);
    }

    private static MigrationResult[] migrate(final GuestMemory source, final MigrationDestination.Context context,
        final Compression compression) throws Exception {
        try (MigrationDestination destination = MigrationDestination.start(context.secret(Guests.SECRET));
             MigrationSource migration = MigrationSource.start(new MigrationSource.Context()
                 .destination(destination.localAddress()).memory(source).secret(Guests.SECRET).channels(2)
                 .compression(compression))) {
            return new MigrationResult[] {migration.result().get(30, TimeUnit.SECONDS),
                destination.result().get(30, TimeUnit.SECONDS)};
        }
    }

    /**
     * Raw pages arrive by the kernel's reads into the mapping (EFAULT when full), decompressed ones by the JVM's
     * stores into it (SIGBUS, raised as an InternalError at a later safepoint).
     */
    @ParameterizedTest
    @EnumSource(value = Compression.class, names = {"NONE", "ZSTD"})
    void aFileSystemThatFillsUpMidMigrationIsAClearMemoryErrorNotACrash(final Compression compression)
        throws Exception {
        final Path file = mount.resolve("destination.ram");
        final AtomicBoolean filled = new AtomicBoolean();
        try (GuestMemory source = GuestMemory.anonymous(List.of(new BlockSpec(0, "pc.ram", 16L << 20)), Guests.PAGE)) {
            if (compression == Compression.NONE) {
                Fill.random(source.block(0), 5);
            } else {
                Fill.compressible(source.block(0), 1.0 / 3, 5);
            }
            final MigrationResult[] results = migrate(source, new MigrationDestination.Context()
                .memoryFactory(MemoryFactory.file(file))
                .pageApplyListener((channel, block, page) -> {
                    if (filled.compareAndSet(false, true)) {
                        fill(mount.resolve("filler"));
                    }
                }), compression);
            assertTrue(filled.get());
            assertEquals(MigrationStatus.FAILED, results[1].status());
            assertEquals(ErrorCode.MEMORY, results[1].errorCode(), results[1].error());
            assertTrue(results[1].error().contains("memory file " + MemoryFiles.partialOf(file) + " ran out of space"),
                results[1].error());
            assertEquals(MigrationStatus.FAILED, results[0].status());
            assertTrue(results[0].error().contains("ran out of space"), "the source learns why: " + results[0].error());
            assertFalse(Files.exists(file), "the destination never made the target");
            assertFalse(Files.exists(MemoryFiles.partialOf(file)), "the destination deletes its partial file");
        }
        Guests.assertNoFerryThreads();
    }

    @Test
    void aGuestLargerThanTheFreeSpaceIsRefusedAtSetup() throws Exception {
        final Path file = mount.resolve("destination.ram");
        try (GuestMemory source = GuestMemory.anonymous(List.of(new BlockSpec(0, "pc.ram", 32L << 20)), Guests.PAGE)) {
            final MigrationResult[] results = migrate(source, new MigrationDestination.Context()
                .memoryFactory(MemoryFactory.file(file)));
            assertEquals(ErrorCode.SETUP_REFUSED, results[0].errorCode(), results[0].error());
            assertTrue(results[0].error().contains("not enough space for memory file " + file), results[0].error());
            assertFalse(Files.exists(file));
        }
    }

    /** Writes zeros into {@code filler} until its file system is full. */
    private static void fill(final Path filler) {
        final byte[] chunk = new byte[1 << 16];
        try (OutputStream out = Files.newOutputStream(filler)) {
            while (true) {
                out.write(chunk);
            }
        } catch (final IOException expected) {
            // full: what the test wanted.
        }
    }
}
