package dev.ferry.engine.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;

import dev.ferry.engine.cli.CliTest.Run;

import static dev.ferry.engine.cli.CliTest.freePort;
import static dev.ferry.engine.cli.CliTest.inProcess;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 17, finding 3 as an operator meets it: a planted counters directory is a usage error (exit 2) that names the
 * path, its owner and mode and says what to do.
 */
final class CliCountersTest {
    @TempDir
    Path dir;

    @Test
    @Timeout(120)
    void aPlantedCountersDirectoryIsAUsageErrorThatSaysWhatToDo() throws Exception {
        final Path memoryFile = Files.write(dir.resolve("guest.ram"), new byte[1 << 16]);
        final List<Path> planted = new ArrayList<>();
        planted.add(Files.createDirectory(dir.resolve("world-writable")));
        Files.setPosixFilePermissions(planted.get(0), PosixFilePermissions.fromString("rwxrwxrwx"));
        planted.add(Files.write(dir.resolve("plain-file"), new byte[] {1}));
        planted.add(Files.createSymbolicLink(dir.resolve("link"), Files.createDirectory(dir.resolve("elsewhere"))));
        final Path theirs = Files.createDirectory(dir.resolve("theirs"), PosixFilePermissions.asFileAttribute(
            PosixFilePermissions.fromString("rwx------")));
        try {
            Files.setAttribute(theirs, "unix:uid", 65534, LinkOption.NOFOLLOW_LINKS);
            planted.add(theirs);
        } catch (final FileSystemException ex) {
            // not root: the other cases still run; CountersDirectoryTest says that this one was skipped.
        }
        for (final Path counters : planted) {
            final Run send = inProcess("send", "--connect", "127.0.0.1:" + freePort(), "--memory-file",
                memoryFile.toString(), "--insecure", "--connect-timeout", "1s", "--counters-dir", counters.toString());
            assertUsageError(send, counters);
        }
        final Run demo = inProcess("demo", "--size", "1m", "--counters-dir", planted.get(1).toString());
        assertUsageError(demo, planted.get(1));
        try (var files = Files.list(dir.resolve("elsewhere"))) {
            assertEquals(List.of(), files.toList(), "a counters file was made through the link");
        }
    }

    private static void assertUsageError(final Run run, final Path counters) {
        assertEquals(FerryCli.EXIT_USAGE, run.exitCode(), run.err());
        assertTrue(run.err().contains("ferry: error: counters directory " + counters + " refused: "), run.err());
        assertTrue(run.err().contains("mode 0") && run.err().contains("owner "), run.err());
        assertTrue(run.err().contains("Remove it") && run.err().contains("--counters-dir DIR"), run.err());
        assertFalse(run.err().contains("Exception"), run.err());
    }
}
