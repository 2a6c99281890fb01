package dev.ferry.engine.stats;

import dev.ferry.engine.ErrorCode;
import dev.ferry.engine.FerryException;
import dev.ferry.engine.MigrationDestination;
import dev.ferry.engine.MigrationSource;
import dev.ferry.engine.Secret;
import dev.ferry.memory.BlockSpec;
import dev.ferry.memory.GuestMemory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Issue 17, finding 3: a counters directory that another local user planted (theirs, writable by anyone, a link, a
 * plain file) is refused with a CONFIGURATION error naming the path, its owner and mode, for the embedding API as for
 * the CLI; Ferry makes the directory 0700 and each file 0600, exclusively, never through a link.
 */
final class CountersDirectoryTest {
    private static final byte[] VICTIM = "the victim's data, not to be touched".getBytes(StandardCharsets.US_ASCII);

    @TempDir
    Path dir;

    @Test
    void aNewDirectoryIsPrivateAndSoIsEveryCountersFile() throws Exception {
        final Path counters = dir.resolve("parent").resolve("counters");
        try (CountersFile file = CountersFile.create(counters, "source", Counters.capacity(1))) {
            assertEquals("rwx------", mode(counters), "the directory Ferry makes");
            assertEquals("rw-------", mode(file.path()), "a counters file");
        }
    }

    @Test
    void linksAndFilesPlantedAtTheNextNamesAreNeitherFollowedNorTruncated() throws Exception {
        final Path counters = Files.createDirectory(dir.resolve("counters"), PosixFilePermissions.asFileAttribute(
            PosixFilePermissions.fromString("rwx------")));
        final Path victim = Files.write(dir.resolve("victim"), VICTIM);
        final int next = lastSequence() + 1;
        final String prefix = ProcessHandle.current().pid() + "-destination-";
        for (int sequence = next; sequence < next + 4; sequence++) {
            Files.createSymbolicLink(counters.resolve(prefix + sequence + CountersFile.SUFFIX), victim);
        }
        final Path planted = Files.write(counters.resolve(prefix + (next + 4) + CountersFile.SUFFIX), VICTIM);
        try (CountersFile file = CountersFile.create(counters, "destination", Counters.capacity(2))) {
            assertArrayEquals(VICTIM, Files.readAllBytes(victim), "the link's target was written through");
            assertArrayEquals(VICTIM, Files.readAllBytes(planted), "an existing file was truncated");
            assertTrue(Files.isRegularFile(file.path(), LinkOption.NOFOLLOW_LINKS), file.path().toString());
            assertEquals("rw-------", mode(file.path()));
        }
    }

    @Test
    void aDirectoryWritableByOthersOrItsGroupIsRefused() throws Exception {
        final Map<String, String> modes = Map.of("rwxrwxrwx", "0777", "rwxrwx---", "0770", "rwx-w----", "0720");
        for (final Map.Entry<String, String> mode : modes.entrySet()) {
            final Path counters = Files.createDirectory(dir.resolve("counters-" + mode.getValue()));
            Files.setPosixFilePermissions(counters, PosixFilePermissions.fromString(mode.getKey()));
            assertRefused(counters, "writable by its group or by others", "mode " + mode.getValue());
        }
    }

    @Test
    void aLinkOrAPlainFileAtThePathIsRefused() throws Exception {
        final Path good = Files.createDirectory(dir.resolve("good"));
        assertRefused(Files.createSymbolicLink(dir.resolve("link"), good), "symbolic link", "mode 0777");
        assertRefused(Files.write(dir.resolve("file"), VICTIM), "not a directory", "mode 0");
        assertArrayEquals(VICTIM, Files.readAllBytes(dir.resolve("file")));
        try (var files = Files.list(good)) {
            assertEquals(List.of(), files.toList(), "nothing was made through the link");
        }
    }

    @Test
    void aDirectoryOfAnotherUserIsRefused() throws Exception {
        final Path counters = Files.createDirectory(dir.resolve("theirs"), PosixFilePermissions.asFileAttribute(
            PosixFilePermissions.fromString("rwx------")));
        assumeTrue(65534 != (Integer)Files.getAttribute(dir, "unix:uid"), "this test runs as uid 65534 itself");
        chownToNobody(counters);
        assertRefused(counters, "belongs to another user", "uid 65534");
    }

    @Test
    void theEmbeddingApiRefusesAPlantedDirectoryWithAConfigurationError() throws Exception {
        final Path counters = Files.createDirectory(dir.resolve("planted"));
        Files.setPosixFilePermissions(counters, PosixFilePermissions.fromString("rwxrwxrwx"));
        final Secret secret = Secret.of(new byte[32]);
        final FerryException destination = assertThrows(FerryException.class, () -> MigrationDestination.start(
            new MigrationDestination.Context().secret(secret).countersDirectory(counters)).close());
        assertEquals(ErrorCode.CONFIGURATION, destination.code());
        assertTrue(destination.getMessage().contains(counters + " refused"), destination.getMessage());
        try (GuestMemory memory = GuestMemory.anonymous(List.of(new BlockSpec(0, "ram", 1 << 16)), 4096)) {
            final FerryException source = assertThrows(FerryException.class, () -> MigrationSource.start(
                new MigrationSource.Context().destination(new InetSocketAddress("127.0.0.1", 9)).memory(memory)
                    .secret(secret).countersDirectory(counters)).close());
            assertEquals(ErrorCode.CONFIGURATION, source.code());
            assertTrue(source.getMessage().contains("countersDirectory"), source.getMessage());
        }
        try (var files = Files.list(counters)) {
            assertEquals(List.of(), files.toList(), "no counters file in a refused directory");
        }
    }

    /** Makes {@code path} belong to uid 65534 (nobody); skips the test where that is not permitted (not root). */
    static void chownToNobody(final Path path) throws IOException {
        try {
            Files.setAttribute(path, "unix:uid", 65534, LinkOption.NOFOLLOW_LINKS);
        } catch (final FileSystemException ex) {
            assumeTrue(false, "cannot give " + path + " to another user here (not root?): " + ex.getMessage());
        }
    }

    private static void assertRefused(final Path counters, final String why, final String seen) throws IOException {
        final List<Path> before = listing(counters);
        final FerryException ex = assertThrows(FerryException.class,
            () -> CountersFile.create(counters, "source", Counters.capacity(1)).close(), counters.toString());
        assertEquals(ErrorCode.CONFIGURATION, ex.code());
        final String message = ex.getMessage();
        assertTrue(message.startsWith("counters directory " + counters + " refused: "), message);
        assertTrue(message.contains(why) && message.contains(seen) && message.contains("owner"), message);
        assertTrue(message.contains("Remove it"), message);
        assertEquals(before, listing(counters), "a refused directory is left as it was");
    }

    private static List<Path> listing(final Path path) throws IOException {
        if (!Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS)) {
            return List.of();
        }
        try (var files = Files.list(path)) {
            return files.sorted().toList();
        }
    }

    private static int lastSequence() throws IOException {
        final Path probe = Files.createTempDirectory("ferry-probe-");
        try (CountersFile file = CountersFile.create(probe, "probe", 1)) {
            final String name = file.path().getFileName().toString();
            return Integer.parseInt(name.substring(name.lastIndexOf('-') + 1, name.length() - CountersFile.SUFFIX.length()));
        } finally {
            Files.delete(probe);
        }
    }

    private static String mode(final Path path) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(path, LinkOption.NOFOLLOW_LINKS));
    }
}
