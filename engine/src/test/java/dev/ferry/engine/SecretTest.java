package dev.ferry.engine;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Issue 17, finding 10: {@code --secret-file /dev/zero} read until the heap ran out (an OutOfMemoryError trace after
 * 10 s), and a secret file every user could read or write was used without a word. A secret file is a regular file
 * of at most 64 KiB, read no further than that; one every user can write is refused, one every user can read warned
 * about; what was wrong is named in words, never with a Java class name.
 */
@Timeout(30)
final class SecretTest {
    @TempDir
    Path dir;

    private final List<String> warnings = new ArrayList<>();

    private Path file(final String name, final int bytes, final String mode) throws Exception {
        final Path file = Files.write(dir.resolve(name), new byte[bytes]);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(mode));
        return file;
    }

    private FerryException refused(final Path file) {
        final FerryException refused = assertThrows(FerryException.class, () -> Secret.fromFile(file, warnings::add));
        assertEquals(ErrorCode.CONFIGURATION, refused.code(), refused.getMessage());
        assertTrue(refused.getMessage().contains(file.toString()), refused.getMessage());
        assertTrue(!refused.getMessage().contains("java.") && !refused.getMessage().contains("Exception"),
            refused.getMessage());
        return refused;
    }

    @Test
    void anOwnerOnlyFileIsTheKeyExactlyWithoutAWord() throws Exception {
        final Path file = Files.write(dir.resolve("secret"), "a key of 24 bytes\nand so".getBytes());
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        final Secret secret = Secret.fromFile(file, warnings::add);
        final byte[] message = "a message".getBytes();
        assertArrayEquals(Secret.of(Files.readAllBytes(file)).newHmac().doFinal(message), secret.newHmac().doFinal(message));
        assertFalse(Arrays.equals(Secret.of("another key of 24 bytes".getBytes()).newHmac().doFinal(message),
            secret.newHmac().doFinal(message)));
        assertEquals(List.of(), warnings);
    }

    @Test
    void aDeviceIsRefusedAtOnceWithoutReadingIt() {
        final long startNs = System.nanoTime();
        final FerryException refused = refused(Path.of("/dev/zero"));
        assertTrue(refused.getMessage().contains("is not a regular file"), refused.getMessage());
        assertTrue(System.nanoTime() - startNs < TimeUnit.SECONDS.toNanos(5), "at once");
    }

    @Test
    void aFifoIsRefusedWithoutOpeningIt() throws Exception {
        final Path fifo = dir.resolve("fifo");
        final Process mkfifo = new ProcessBuilder("mkfifo", fifo.toString()).start();
        assertTrue(mkfifo.waitFor(10, TimeUnit.SECONDS) && mkfifo.exitValue() == 0, "mkfifo");
        // Opening a FIFO for reading blocks until a writer comes, out of reach of an interrupt: the read runs on a
        // thread of its own, and if it is still blocked after 5 s this side opens the FIFO to let it go, and fails.
        final AtomicReference<Throwable> outcome = new AtomicReference<>();
        final Thread reader = new Thread(() -> {
            try {
                Secret.fromFile(fifo, warnings::add);
            } catch (final Throwable ex) {
                outcome.set(ex);
            }
        });
        reader.setDaemon(true);
        reader.start();
        reader.join(5_000);
        if (reader.isAlive()) {
            Files.write(fifo, new byte[0]);
            reader.join(5_000);
            fail("the FIFO was opened and the read blocked");
        }
        assertTrue(outcome.get() instanceof FerryException, String.valueOf(outcome.get()));
        assertTrue(outcome.get().getMessage().contains("secret file " + fifo + " is not a regular file"),
            outcome.get().getMessage());
    }

    @Test
    void aDirectoryAMissingFileAndAnOversizedFileAreRefusedInWords() throws Exception {
        assertTrue(refused(dir).getMessage().contains("is not a regular file (a directory)"));
        assertTrue(refused(dir.resolve("missing")).getMessage().endsWith(": no such file or directory"));
        final FerryException big = refused(file("big", Secret.MAX_FILE_BYTES + 1, "rw-------"));
        assertTrue(big.getMessage().contains("more than the 65536 a key may have"), big.getMessage());
        assertTrue(refused(file("short", 15, "rw-------")).getMessage().contains("holds 15 bytes; at least 16"));
    }

    @Test
    void aFileEveryUserCanWriteIsRefusedAndOneEveryUserCanReadIsWarnedAbout() throws Exception {
        final FerryException writable = refused(file("writable", 32, "rw-rw-rw-"));
        assertTrue(writable.getMessage().contains("is writable by every user (rw-rw-rw-)") &&
            writable.getMessage().contains("refused"), writable.getMessage());

        final Path readable = file("readable", 32, "rw-r--r--");
        Secret.fromFile(readable, warnings::add);
        assertEquals(1, warnings.size(), warnings.toString());
        assertTrue(warnings.get(0).contains("secret file " + readable + " is readable by every user (rw-r--r--)") &&
            warnings.get(0).contains("used anyway"), warnings.get(0));
    }
}
