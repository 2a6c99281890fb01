package dev.ferry.engine.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static dev.ferry.engine.cli.CliTest.awaitLine;
import static dev.ferry.engine.cli.CliTest.inProcess;
import static dev.ferry.engine.cli.CliTest.process;
import static dev.ferry.engine.cli.CliTest.secretFile;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 17's local attacks and careless operators, on the command line: the files Ferry is named or finds are data.
 * A one-path typo never zeroes a guest, a link is never followed, a target is touched only by a verified guest, and
 * an output that cannot be written is found out before the migration. Written with the CLI's flags and
 * {@code java.nio} only, so each test also runs against an older build, where it fails (docs/reliability.md).
 */
class CliLocalFilesTest {
    private static final int GUEST_BYTES = 8 << 20;

    @TempDir
    Path dir;

    private Path guest(final String name) throws IOException {
        final byte[] bytes = new byte[GUEST_BYTES];
        new SecureRandom().nextBytes(bytes);
        return Files.write(dir.resolve(name), bytes);
    }

    private static String digest(final Path file) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    }

    /** Finding 1: receive and send on one file (an in-place upgrade with a one-path typo). */
    @Test
    @Timeout(60)
    void theSameFileOnBothSidesIsRefusedAtStartUpAndKeepsTheGuest() throws Exception {
        final Path file = guest("guest.ram");
        final String before = digest(file);
        final Run receive = run("receive", "--listen", "unix:" + dir.resolve("s.sock"), "--memory-file",
            file.toString(), "--secret-file", secretFile(dir).toString());
        assertEquals(2, receive.exitCode(), receive.err());
        assertTrue(receive.err().contains("already exists"), receive.err());
        assertEquals(before, digest(file), "the guest's memory is untouched");
    }

    /** Finding 1 with --overwrite: both sides find out at SETUP that they name one file; nothing moves. */
    @Test
    @Timeout(120)
    void theSameFileOnBothSidesWithOverwriteIsRefusedAtSetupOnBothSides() throws Exception {
        final Path file = guest("guest.ram");
        final String before = digest(file);
        final Both both = migrate(List.of("--memory-file", file.toString(), "--overwrite"),
            List.of("--memory-file", dir.resolve(".").resolve("guest.ram").toString()));
        assertEquals(1, both.send().exitCode(), both.send().err());
        assertTrue(both.send().err().contains("is this destination's memory file"), both.send().err());
        assertEquals(1, both.receiveExit(), both.receiveLog());
        assertTrue(both.receiveLog().contains("is this destination's memory file"), both.receiveLog());
        assertEquals(before, digest(file), "the guest's memory is untouched");
        assertNoPartialFiles();
    }

    /** Finding 1: an existing target is replaced only by a verified guest; a failed migration leaves it. */
    @Test
    @Timeout(120)
    void aFailedMigrationLeavesAnOverwriteTargetAsItWas() throws Exception {
        final Path target = guest("old.ram");
        final String before = digest(target);
        final Path source = guest("source.ram");
        final Both both = migrate(List.of("--memory-file", target.toString(), "--overwrite", "--verify", "none"),
            List.of("--memory-file", source.toString()));
        assertEquals(1, both.send().exitCode(), "verify modes differ: " + both.send().err());
        assertEquals(1, both.receiveExit(), both.receiveLog());
        assertEquals(before, digest(target), "the old file is intact");
        assertNoPartialFiles();
    }

    /** Finding 1: a verified guest replaces the target named with --overwrite, in one rename. */
    @Test
    @Timeout(120)
    void aVerifiedGuestReplacesAnOverwriteTarget() throws Exception {
        final Path target = guest("old.ram");
        final Path source = guest("source.ram");
        final Both both = migrate(List.of("--memory-file", target.toString(), "--overwrite"),
            List.of("--memory-file", source.toString()));
        assertEquals(0, both.send().exitCode(), both.send().err());
        assertEquals(0, both.receiveExit(), both.receiveLog());
        assertEquals(digest(source), digest(target));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(target)),
            "guest memory is private");
        assertNoPartialFiles();
    }

    /** Finding 2: a link at --memory-file is refused before anything is created, truncated or written. */
    @Test
    @Timeout(60)
    void aSymlinkAsMemoryFileIsRefusedAndItsTargetUntouched() throws Exception {
        final Path victim = guest("victim.ram");
        final String before = digest(victim);
        final Path link = Files.createSymbolicLink(dir.resolve("link.ram"), victim);
        final String secret = secretFile(dir).toString();
        final Run receive = run("receive", "--listen", "127.0.0.1:0", "--memory-file", link.toString(),
            "--secret-file", secret);
        assertEquals(2, receive.exitCode(), receive.err());
        assertTrue(receive.err().contains("symbolic link"), receive.err());
        final Run ram = run("receive", "--listen", "127.0.0.1:0", "--memory-file", link.toString(), "--ram", "8m",
            "--overwrite", "--secret-file", secret);
        assertEquals(2, ram.exitCode(), ram.err());
        assertTrue(ram.err().contains("symbolic link"), ram.err());
        final Run send = run("send", "--connect", "127.0.0.1:1", "--memory-file", link.toString(),
            "--secret-file", secret);
        assertEquals(2, send.exitCode(), send.err());
        assertTrue(send.err().contains("symbolic link"), send.err());
        assertEquals(before, digest(victim), "the link's target is untouched");
        assertTrue(Files.isSymbolicLink(link), "the link itself is left alone");
    }

    /** Finding 2: a directory as --memory-file is refused at start-up, and never deleted. */
    @Test
    @Timeout(60)
    void aDirectoryAsMemoryFileIsRefusedAtStartUpAndKept() throws Exception {
        final Path directory = Files.createDirectory(dir.resolve("guests"));
        Files.write(directory.resolve("keep"), new byte[] {1});
        final Run receive = run("receive", "--listen", "127.0.0.1:0", "--memory-file", directory.toString(),
            "--overwrite", "--secret-file", secretFile(dir).toString());
        assertEquals(2, receive.exitCode(), receive.err());
        assertTrue(receive.err().contains("is a directory"), receive.err());
        assertTrue(Files.exists(directory.resolve("keep")));
    }

    /** Finding 3 (its --stats-json part) and 9: a link is refused, and so is an output that cannot be written, first. */
    @Test
    @Timeout(60)
    void statsJsonIsCheckedAtStartUpAndNeverFollowsALink() throws Exception {
        final Path victim = guest("victim.json");
        final String before = digest(victim);
        final Path link = Files.createSymbolicLink(dir.resolve("stats.json"), victim);
        final Path source = guest("source.ram");
        final String secret = secretFile(dir).toString();
        final Run linked = run("send", "--connect", "127.0.0.1:1", "--memory-file", source.toString(),
            "--secret-file", secret, "--stats-json", link.toString());
        assertEquals(2, linked.exitCode(), linked.err());
        assertTrue(linked.err().contains("symbolic link"), linked.err());
        assertEquals(before, digest(victim));
        final Path nowhere = dir.resolve("source.ram").resolve("stats.json");
        final Run unwritable = run("receive", "--listen", "127.0.0.1:0", "--memory-file",
            dir.resolve("new.ram").toString(), "--secret-file", secret, "--stats-json", nowhere.toString());
        assertEquals(2, unwritable.exitCode(), unwritable.err());
        assertTrue(unwritable.err().contains("--stats-json"), unwritable.err());
        assertFalse(unwritable.err().contains("listening on"), "refused before listening: " + unwritable.err());
        final Run hlog = run("send", "--connect", "127.0.0.1:1", "--memory-file", source.toString(),
            "--secret-file", secret, "--hlog", link.toString());
        assertEquals(2, hlog.exitCode(), hlog.err());
        assertEquals(before, digest(victim));
    }

    /** Finding 9: the stats JSON of a verified migration is written whole, beside and renamed, mode 0600. */
    @Test
    @Timeout(120)
    void statsJsonIsWrittenWholeAndPrivate() throws Exception {
        final Path source = guest("source.ram");
        final Path json = Files.writeString(dir.resolve("receive.json"), "old");
        final Both both = migrate(List.of("--memory-file", dir.resolve("new.ram").toString(), "--stats-json",
            json.toString()), List.of("--memory-file", source.toString()));
        assertEquals(0, both.send().exitCode(), both.send().err());
        assertEquals(0, both.receiveExit(), both.receiveLog());
        assertTrue(Files.readString(json).contains("\"verified\": true"), Files.readString(json));
        assertFalse(Files.isSymbolicLink(json));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(json,
            LinkOption.NOFOLLOW_LINKS)));
        try (Stream<Path> files = Files.list(dir)) {
            assertTrue(files.noneMatch(p -> p.getFileName().toString().endsWith(".tmp")), "no temporary file left");
        }
    }

    /** What {@code receive} in a JVM of its own and {@code send} in this one said of one migration. */
    private record Both(Run send, int receiveExit, String receiveLog) {
    }

    /** Runs {@code receive} (its flags, on a Unix socket) as a process, then {@code send} (its flags) to it. */
    private Both migrate(final List<String> receiveFlags, final List<String> sendFlags) throws Exception {
        final Path secret = secretFile(dir);
        final Path socket = dir.resolve("s.sock");
        final Path receiveLog = dir.resolve("receive.log");
        final List<String> receive = new java.util.ArrayList<>(List.of("receive", "--listen", "unix:" + socket,
            "--secret-file", secret.toString()));
        receive.addAll(receiveFlags);
        final Process receiver = process(receiveLog, receive.toArray(new String[0]));
        try {
            awaitLine(receiveLog, "listening on", receiver);
            final List<String> send = new java.util.ArrayList<>(List.of("send", "--connect", "unix:" + socket,
                "--secret-file", secret.toString()));
            send.addAll(sendFlags);
            final Run sent = run(send.toArray(new String[0]));
            assertTrue(receiver.waitFor(30, TimeUnit.SECONDS), "receive did not end");
            return new Both(sent, receiver.exitValue(), Files.readString(receiveLog));
        } finally {
            receiver.destroyForcibly();
        }
    }

    private void assertNoPartialFiles() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            final List<Path> partial = files.filter(p -> p.getFileName().toString().endsWith(".partial")).toList();
            assertTrue(partial.isEmpty(), "partial files left: " + partial);
        }
    }

    /** Runs the CLI in this JVM, bounded: a command that should have refused at once but waits fails the test. */
    private static Run run(final String... args) throws Exception {
        final java.util.concurrent.CompletableFuture<CliTest.Run> run =
            java.util.concurrent.CompletableFuture.supplyAsync(() -> inProcess(args));
        try {
            final CliTest.Run done = run.get(45, TimeUnit.SECONDS);
            return new Run(done.exitCode(), done.err());
        } catch (final java.util.concurrent.TimeoutException ex) {
            throw new AssertionError("'ferry " + String.join(" ", args) + "' did not end within 45 s");
        }
    }

    private record Run(int exitCode, String err) {
    }
}
