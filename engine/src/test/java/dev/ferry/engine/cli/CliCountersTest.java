package dev.ferry.engine.cli;

import dev.ferry.engine.cli.CliTest.Run;
import dev.ferry.engine.stats.Counters;
import dev.ferry.engine.stats.CountersFile;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import static dev.ferry.engine.cli.CliTest.freePort;
import static dev.ferry.engine.cli.CliTest.inProcess;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Issue 17, findings 3 and 8 as an operator meets them: a planted counters directory is a usage error (exit 2) that
 * names the path, its owner and mode and says what to do; {@code ferry stat} survives a FIFO, a link, a directory and
 * hostile labels in the counters directory, and counts the files that crashed processes left, not their counters.
 */
final class CliCountersTest {
    private static final Pattern PRINTABLE_LINES = Pattern.compile("[\\x20-\\x7e\\n]*");

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
        final Run receive = inProcess("receive", "--listen", "127.0.0.1:0", "--memory-file",
            dir.resolve("destination.ram").toString(), "--insecure", "--counters-dir", planted.get(1).toString());
        assertUsageError(receive, planted.get(1));
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

    @Test
    @Timeout(120)
    void statSkipsAFifoALinkAndADirectoryWithoutOpeningThemAndShowsTheLiveMigrationOnce() throws Exception {
        final Path counters = dir.resolve("counters");
        try (Counters live = live(counters, "source")) {
            final Path fifo = counters.resolve("fifo" + CountersFile.SUFFIX);
            final Process mkfifo = new ProcessBuilder("mkfifo", fifo.toString()).start();
            assumeTrue(mkfifo.waitFor(30, TimeUnit.SECONDS) && mkfifo.exitValue() == 0, "mkfifo is not available");
            final Path good;
            try (var files = Files.list(counters)) {
                good = files.filter(f -> f.getFileName().toString().contains("-source-")).findFirst().orElseThrow();
            }
            Files.createSymbolicLink(counters.resolve("link" + CountersFile.SUFFIX), good);
            Files.createDirectory(counters.resolve("directory" + CountersFile.SUFFIX));
            final Run stat = assertTimeoutPreemptively(Duration.ofSeconds(30), () -> inProcess("stat", counters.toString()),
                "ferry stat blocked on a FIFO");
            assertEquals(0, stat.exitCode(), stat.err());
            final long pid = ProcessHandle.current().pid();
            assertEquals(1, stat.out().split(pid + " source rounds 3\n", -1).length - 1, stat.out());
            assertTrue(stat.err().contains("ferry: skipped fifo.counters: a FIFO, socket or device, not a regular file " +
                "(not opened)"), stat.err());
            assertTrue(stat.err().contains("ferry: skipped link.counters: a symbolic link"), stat.err());
            assertTrue(stat.err().contains("ferry: skipped directory.counters: a directory"), stat.err());
        }
    }

    @Test
    void statShowsNoControlCharacterFromALabelOrARole() throws Exception {
        final Path counters = dir.resolve("counters");
        try (CountersFile file = CountersFile.create(counters, "ro\u001b[2Jle", 4)) {
            file.manager().allocate("evil\n123 source forged-line 0\u001b]0;title\u0007");
            final Run stat = inProcess("stat", counters.toString());
            assertEquals(0, stat.exitCode(), stat.err());
            assertTrue(PRINTABLE_LINES.matcher(stat.out()).matches(), stat.out());
            assertTrue(PRINTABLE_LINES.matcher(stat.err()).matches(), stat.err());
            assertTrue(stat.out().contains(ProcessHandle.current().pid() + " ro\\x1b[2Jle evil\\x0a123 source forged-line" +
                " 0\\x1b]0;title\\x07 0\n"), stat.out());
        }
    }

    @Test
    void statCountsTheFilesThatGoneProcessesLeftNotTheirCounters() throws Exception {
        final Path counters = dir.resolve("counters");
        try (Counters live = live(counters, "source")) {
            final Path good;
            try (var files = Files.list(counters)) {
                good = files.findFirst().orElseThrow();
            }
            final byte[] bytes = Files.readAllBytes(good);
            new UnsafeBuffer(bytes).putLong(CountersFile.PID_OFFSET, Integer.MAX_VALUE);
            Files.write(counters.resolve("1-source-1" + CountersFile.SUFFIX), bytes);
            Files.write(counters.resolve("1-destination-2" + CountersFile.SUFFIX), bytes);
            final Run stat = inProcess("stat", counters.toString());
            assertEquals(0, stat.exitCode(), stat.err());
            assertTrue(stat.err().contains("ferry: skipped 2 counters files of processes that are gone"), stat.err());
            assertTrue(stat.out().contains(ProcessHandle.current().pid() + " source rounds 3\n"), stat.out());
        }
    }

    private static Counters live(final Path directory, final String role) {
        final Counters counters = new Counters(CountersFile.create(directory, role, Counters.capacity(1)));
        counters.channels(1);
        counters.rounds(3);
        return counters;
    }
}
