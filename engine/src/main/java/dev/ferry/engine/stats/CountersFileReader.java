package dev.ferry.engine.stats;

import org.agrona.BitUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersReader;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;

import static dev.ferry.engine.stats.CountersFile.HEADER_LENGTH;
import static dev.ferry.engine.stats.CountersFile.MAGIC;
import static dev.ferry.engine.stats.CountersFile.MAGIC_OFFSET;
import static dev.ferry.engine.stats.CountersFile.METADATA_LENGTH_OFFSET;
import static dev.ferry.engine.stats.CountersFile.PID_OFFSET;
import static dev.ferry.engine.stats.CountersFile.ROLE_LENGTH;
import static dev.ferry.engine.stats.CountersFile.ROLE_OFFSET;
import static dev.ferry.engine.stats.CountersFile.VALUES_LENGTH_OFFSET;
import static dev.ferry.engine.stats.CountersFile.VERSION;
import static dev.ferry.engine.stats.CountersFile.VERSION_OFFSET;
import static org.agrona.concurrent.status.CountersReader.COUNTER_LENGTH;
import static org.agrona.concurrent.status.CountersReader.LABEL_OFFSET;
import static org.agrona.concurrent.status.CountersReader.MAX_LABEL_LENGTH;
import static org.agrona.concurrent.status.CountersReader.METADATA_LENGTH;

/**
 * Reads the counters files in a directory for {@code ferry stat}, trusting no byte of them: any local user may have
 * put anything under a {@code .counters} name there (and {@code ferry stat DIR} reads any directory), and one bad
 * file must not hide the live migrations beside it.
 * <ul>
 * <li>A name that is not a regular file (a FIFO, a device, a directory, a link) is skipped without being opened:
 * opening a FIFO blocks until it has a writer, and a link may lead anywhere. The type is read with no-follow
 * attributes and the file is then opened with no-follow.</li>
 * <li>A file is copied into the heap, no more than the longest counters file, rather than mapped: a file that its
 * owner truncates under a mapping ends its reader with SIGBUS, a copy just comes up short.</li>
 * <li>Every length and offset is checked against the bytes read before use (Agrona's reader would throw on a bad
 * one), and the records are walked here; a file that fails a check is named with the reason and contributes
 * nothing.</li>
 * <li>Role and labels are shown as printable ASCII: any other byte becomes {@code \xNN}, so a label cannot move the
 * terminal's cursor, clear it or forge a line.</li>
 * </ul>
 */
final class CountersFileReader {
    /** The longest counters file there may be: a longer one is not one of ours, and is not read into memory. */
    static final int MAX_FILE_LENGTH = CountersFile.length(CountersFile.MAX_COUNTERS);
    private static final int PRINTABLE_FIRST = 0x20;
    private static final int PRINTABLE_LAST = 0x7e;

    private CountersFileReader() {
    }

    static List<CountersFile.Sample> readAll(final Path directory, final Consumer<String> skipped) throws IOException {
        final List<CountersFile.Sample> samples = new ArrayList<>();
        if (!Files.isDirectory(directory)) {
            return samples;
        }
        final List<Path> files;
        try (Stream<Path> listing = Files.list(directory)) {
            files = listing.filter(file -> file.getFileName().toString().endsWith(CountersFile.SUFFIX)).sorted().toList();
        } catch (final UncheckedIOException ex) {
            throw ex.getCause(); // the listing failed part way, say the directory was removed
        }
        for (final Path file : files) {
            read(file, samples, skipped);
        }
        return samples;
    }

    private static void read(final Path file, final List<CountersFile.Sample> samples, final Consumer<String> skipped) {
        final String name = printable(file.getFileName().toString());
        final ByteBuffer contents;
        try {
            final BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class,
                LinkOption.NOFOLLOW_LINKS);
            if (!attributes.isRegularFile()) {
                skipped.accept(name + ": " + kind(attributes) + ", not a regular file (not opened)");
                return;
            }
            contents = contents(file);
        } catch (final NoSuchFileException ex) {
            return; // removed between the listing and now: its migration ended.
        } catch (final IOException ex) {
            skipped.accept("counters file " + name + ": cannot read it: " + CountersDirectory.reason(ex));
            return;
        }
        final String corrupt = null == contents ? "longer than any counters file (" + MAX_FILE_LENGTH + " bytes)" :
            parse(name, new UnsafeBuffer(contents.array(), 0, contents.position()), samples);
        if (null != corrupt) {
            skipped.accept("corrupt counters file " + name + ": " + corrupt);
        }
    }

    private static String kind(final BasicFileAttributes attributes) {
        if (attributes.isSymbolicLink()) {
            return "a symbolic link";
        }
        return attributes.isDirectory() ? "a directory" : "a FIFO, socket or device";
    }

    /** The file's bytes (as many as it had while read, up to its position), or null if it is too long. */
    private static ByteBuffer contents(final Path file) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
            final long size = channel.size();
            if (size > MAX_FILE_LENGTH) {
                return null;
            }
            final ByteBuffer contents = ByteBuffer.allocate((int)size);
            while (contents.hasRemaining() && channel.read(contents) > 0) {
                // a file that shrinks while read comes up short; parse() checks every length against what was read.
            }
            return contents;
        }
    }

    /**
     * Adds the counters of one file's {@code bytes} to {@code samples}; returns why the file is corrupt (and adds
     * nothing), or null. An empty file, or one whose magic is still zero, is a migration making its file: no counters,
     * and not corrupt.
     */
    static String parse(final String file, final UnsafeBuffer bytes, final List<CountersFile.Sample> samples) {
        final int length = bytes.capacity();
        if (length == 0) {
            return null;
        }
        if (length < HEADER_LENGTH) {
            return "truncated to " + length + (length == 1 ? " byte" : " bytes") + ", shorter than the " + HEADER_LENGTH +
                "-byte header";
        }
        final int magic = bytes.getInt(MAGIC_OFFSET);
        if (magic == 0) {
            return null;
        }
        if (magic != MAGIC) {
            return "it does not start with the counters magic";
        }
        if (bytes.getInt(VERSION_OFFSET) != VERSION) {
            return "version " + bytes.getInt(VERSION_OFFSET) + ", this ferry reads version " + VERSION;
        }
        final long pid = bytes.getLong(PID_OFFSET);
        if (pid <= 0) {
            return "process id " + pid;
        }
        final int metadataLength = bytes.getInt(METADATA_LENGTH_OFFSET);
        final int valuesLength = bytes.getInt(VALUES_LENGTH_OFFSET);
        final String badLengths = checkLengths(metadataLength, valuesLength, length);
        if (null != badLengths) {
            return badLengths;
        }
        final String role = text(bytes, ROLE_OFFSET, ROLE_LENGTH, true);
        final boolean alive = ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
        final List<CountersFile.Sample> found = new ArrayList<>();
        for (int id = 0, counters = metadataLength / METADATA_LENGTH; id < counters; id++) {
            final int record = HEADER_LENGTH + id * METADATA_LENGTH;
            final int state = bytes.getInt(record);
            if (state == CountersReader.RECORD_UNUSED) {
                break;
            }
            if (state == CountersReader.RECORD_RECLAIMED) {
                continue;
            }
            if (state != CountersReader.RECORD_ALLOCATED) {
                return "counter " + id + " has record state " + state;
            }
            final int labelLength = bytes.getInt(record + LABEL_OFFSET);
            if (labelLength < 0 || labelLength > MAX_LABEL_LENGTH) {
                return "counter " + id + " has a label of " + labelLength + " bytes, not 0.." + MAX_LABEL_LENGTH;
            }
            final String label = text(bytes, record + LABEL_OFFSET + BitUtil.SIZE_OF_INT, labelLength, false);
            final long value = bytes.getLong(HEADER_LENGTH + metadataLength + id * COUNTER_LENGTH);
            // A runtime's file holds the counters of many migrations: each names its side in its key.
            final int key = record + CountersReader.KEY_OFFSET;
            final String side = bytes.getByte(key) == 0 ? role : text(bytes, key, RuntimeCounters.KEY_ROLE_LENGTH, true);
            found.add(new CountersFile.Sample(pid, side, alive, label, value, file));
        }
        samples.addAll(found);
        return null;
    }

    /** Why the header's lengths cannot be those of a counters file of {@code length} bytes, or null. */
    private static String checkLengths(final int metadataLength, final int valuesLength, final int length) {
        if (metadataLength < 0 || metadataLength % METADATA_LENGTH != 0) {
            return "metadata length " + metadataLength + " is not a multiple of " + METADATA_LENGTH;
        }
        if (valuesLength < 0 || valuesLength % COUNTER_LENGTH != 0) {
            return "values length " + valuesLength + " is not a multiple of " + COUNTER_LENGTH;
        }
        if (metadataLength / METADATA_LENGTH != valuesLength / COUNTER_LENGTH) {
            return "metadata for " + metadataLength / METADATA_LENGTH + " counters, values for " +
                valuesLength / COUNTER_LENGTH;
        }
        final long needed = (long)HEADER_LENGTH + metadataLength + valuesLength;
        if (needed > length) {
            return "truncated to " + length + " bytes, its header says " + needed;
        }
        return null;
    }

    /** {@code length} bytes at {@code offset} as printable ASCII (zero-padded text ends at its first zero). */
    private static String text(final UnsafeBuffer bytes, final int offset, final int length, final boolean padded) {
        final StringBuilder text = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            final int b = bytes.getByte(offset + i) & 0xff;
            if (padded && b == 0) {
                break;
            }
            append(text, b);
        }
        return text.toString();
    }

    /** {@code text} with every character but printable ASCII escaped: {@code \xNN}, or beyond one byte u and four hex digits. */
    static String printable(final String text) {
        final StringBuilder printable = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            final char c = text.charAt(i);
            if (c > 0xff) {
                printable.append(String.format("\\u%04x", (int)c));
            } else {
                append(printable, c);
            }
        }
        return printable.toString();
    }

    private static void append(final StringBuilder text, final int b) {
        if (b >= PRINTABLE_FIRST && b <= PRINTABLE_LAST) {
            text.append((char)b);
        } else {
            text.append(String.format("\\x%02x", b));
        }
    }
}
