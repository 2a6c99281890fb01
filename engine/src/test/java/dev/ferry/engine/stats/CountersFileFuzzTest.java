package dev.ferry.engine.stats;

import dev.ferry.engine.cli.FerryCli;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.RandomAccessFile;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 17, finding 8: corrupt counters files, made from a real one (truncated at every interesting length, header and
 * metadata bytes replaced at random, lengths and label lengths set to huge, negative and misaligned values), never make
 * {@link CountersFile#readAll} or {@code ferry stat} throw, never hide a good file beside them, and each one that
 * cannot be read is named. The seed is fixed (reproducible); {@code -Dferry.fuzz.seed=N} tries another.
 */
final class CountersFileFuzzTest {
    private static final long SEED = Long.getLong("ferry.fuzz.seed", 17);
    private static final int RANDOM_VARIANTS = 150;
    private static final int[] BAD_INTS = {-1, Integer.MIN_VALUE, Integer.MAX_VALUE, 1, 4, 127, 129, 511, 513,
        1 << 20, 512 * 1_000_000, -512, -128};
    private static final Pattern STAT_LINE = Pattern.compile("\\d+ [\\x20-\\x7e]+ -?\\d+");
    private static final Pattern PRINTABLE = Pattern.compile("[\\x20-\\x7e]*");

    @TempDir
    Path dir;

    /** The variants' names that must be reported as corrupt (every one but the random ones, which may be valid). */
    private final TreeSet<String> mustBeNamed = new TreeSet<>();
    private int variants;

    @Test
    void readAllSurvivesEveryVariantAndStillReadsTheGoodFile() throws Exception {
        writeVariants(template());
        try (Counters good = good()) {
            final List<CountersFile.Sample> samples = CountersFile.readAll(dir);
            final List<CountersFile.Sample> mine = samples.stream().filter(s -> s.role().equals("source")).toList();
            assertEquals(Counters.capacity(2) - 2, mine.size(), "the good file's counters, read beside " + variants +
                " corrupt ones (seed " + SEED + ")");
            assertEquals(3, mine.stream().filter(s -> s.label().equals("rounds")).findFirst().orElseThrow().value());
            for (final CountersFile.Sample sample : samples) {
                assertTrue(PRINTABLE.matcher(sample.role()).matches() && PRINTABLE.matcher(sample.label()).matches(),
                    "a control character from a file: " + sample + " (seed " + SEED + ")");
            }
        }
    }

    @Test
    void statNamesEveryCorruptVariantAndShowsTheLiveMigration() throws Exception {
        writeVariants(template());
        try (Counters good = good()) {
            final StringWriter out = new StringWriter();
            final StringWriter err = new StringWriter();
            final int exitCode = FerryCli.run(new PrintWriter(out), new PrintWriter(err), "stat", dir.toString());
            assertEquals(0, exitCode, err.toString());
            final long pid = ProcessHandle.current().pid();
            assertTrue(out.toString().contains(pid + " source rounds 3\n"), out.toString());
            for (final String line : out.toString().split("\n")) {
                assertTrue(STAT_LINE.matcher(line).matches(), "not a stat line: " + line);
            }
            for (final String line : err.toString().split("\n")) {
                assertTrue(PRINTABLE.matcher(line).matches(), "a control character on stderr: " + line);
            }
            for (final String name : mustBeNamed) {
                assertTrue(err.toString().contains("ferry: skipped corrupt counters file " + name + ": "),
                    name + " is not named (seed " + SEED + "):\n" + err);
            }
        }
    }

    private Counters good() {
        final Counters good = new Counters(CountersFile.create(dir, "source", Counters.capacity(2)));
        good.channels(2);
        good.rounds(3);
        good.refresh(100);
        return good;
    }

    /** The bytes of a real counters file of two channels, every counter allocated. */
    private static byte[] template() throws Exception {
        final Path directory = Files.createTempDirectory("ferry-template-");
        try (Counters counters = new Counters(CountersFile.create(directory, "fuzzed", Counters.capacity(2)))) {
            counters.channels(2);
            counters.rejectedConnections().increment();
            counters.refresh(4096);
            try (var files = Files.list(directory)) {
                return Files.readAllBytes(files.findFirst().orElseThrow());
            }
        } finally {
            Files.delete(directory);
        }
    }

    private void writeVariants(final byte[] template) throws Exception {
        final int metadataLength = new UnsafeBuffer(template).getInt(CountersFile.METADATA_LENGTH_OFFSET);
        final int valuesStart = CountersFile.HEADER_LENGTH + metadataLength;
        final TreeSet<Integer> lengths = new TreeSet<>();
        for (int length = 1; length <= CountersFile.HEADER_LENGTH + 8; length++) {
            lengths.add(length);
        }
        for (int record = CountersFile.HEADER_LENGTH; record < valuesStart; record += CountersReader.METADATA_LENGTH) {
            for (final int delta : new int[] {-1, 1, 4, CountersReader.LABEL_OFFSET, CountersReader.LABEL_OFFSET + 3,
                CountersReader.LABEL_OFFSET + 5, CountersReader.LABEL_OFFSET + 12}) {
                lengths.add(record + delta);
            }
        }
        for (int value = valuesStart; value <= template.length; value += CountersReader.COUNTER_LENGTH) {
            for (final int delta : new int[] {-1, 1, 7}) {
                lengths.add(value + delta);
            }
        }
        lengths.add(template.length - 1);
        lengths.removeIf(length -> length >= template.length);
        for (final int length : lengths) {
            named("truncated-" + length, Arrays.copyOf(template, length));
        }
        badHeaderFields(template);
        badRecords(template, metadataLength);
        randomBytes(template, valuesStart);
        final Path huge = named("longer-than-any", template);
        try (RandomAccessFile file = new RandomAccessFile(huge.toFile(), "rw")) {
            file.setLength(64L << 20);
        }
    }

    private void badHeaderFields(final byte[] template) throws Exception {
        for (final int bad : BAD_INTS) {
            named("metadata-length-" + bad, patchInt(template, CountersFile.METADATA_LENGTH_OFFSET, bad));
            named("values-length-" + bad, patchInt(template, CountersFile.VALUES_LENGTH_OFFSET, bad));
        }
        named("values-for-fewer-counters", patchInt(template, CountersFile.VALUES_LENGTH_OFFSET,
            new UnsafeBuffer(template).getInt(CountersFile.VALUES_LENGTH_OFFSET) - CountersReader.COUNTER_LENGTH));
        named("version-2", patchInt(template, CountersFile.VERSION_OFFSET, 2));
        named("magic-wrong", patchInt(template, CountersFile.MAGIC_OFFSET, 0x12345678));
        for (final long pid : new long[] {0, -1, Long.MIN_VALUE}) {
            final byte[] bytes = template.clone();
            new UnsafeBuffer(bytes).putLong(CountersFile.PID_OFFSET, pid);
            named("pid-" + pid, bytes);
        }
    }

    private void badRecords(final byte[] template, final int metadataLength) throws Exception {
        int last = CountersFile.HEADER_LENGTH;
        final UnsafeBuffer buffer = new UnsafeBuffer(template);
        while (last + CountersReader.METADATA_LENGTH < CountersFile.HEADER_LENGTH + metadataLength &&
            buffer.getInt(last + CountersReader.METADATA_LENGTH) == CountersReader.RECORD_ALLOCATED) {
            last += CountersReader.METADATA_LENGTH;
        }
        for (final int record : new int[] {CountersFile.HEADER_LENGTH, last}) {
            for (final int bad : new int[] {-1, Integer.MIN_VALUE, Integer.MAX_VALUE, CountersReader.MAX_LABEL_LENGTH + 1,
                CountersReader.METADATA_LENGTH, 1 << 20}) {
                named("label-length-" + bad + "-at-" + record,
                    patchInt(template, record + CountersReader.LABEL_OFFSET, bad));
            }
            named("record-state-2-at-" + record, patchInt(template, record, 2));
            named("record-state-min-at-" + record, patchInt(template, record, Integer.MIN_VALUE));
        }
    }

    /** Random bytes in the header, in the metadata and anywhere: they may or may not leave a valid file. */
    private void randomBytes(final byte[] template, final int valuesStart) throws Exception {
        final Random random = new Random(SEED);
        for (int i = 0; i < RANDOM_VARIANTS; i++) {
            final byte[] bytes = template.clone();
            final int region = i % 3;
            final int from = region == 1 ? CountersFile.HEADER_LENGTH : 0;
            final int to = region == 0 ? CountersFile.HEADER_LENGTH : region == 1 ? valuesStart : bytes.length;
            for (int n = 1 + random.nextInt(8); n > 0; n--) {
                bytes[from + random.nextInt(to - from)] = (byte)random.nextInt();
            }
            Files.write(dir.resolve(String.format("random-%03d%s", i, CountersFile.SUFFIX)), bytes);
            variants++;
        }
    }

    private Path named(final String name, final byte[] bytes) throws Exception {
        final String file = "bad-" + name + CountersFile.SUFFIX;
        mustBeNamed.add(file);
        variants++;
        return Files.write(dir.resolve(file), bytes);
    }

    private static byte[] patchInt(final byte[] template, final int offset, final int value) {
        final byte[] bytes = template.clone();
        new UnsafeBuffer(bytes).putInt(offset, value);
        return bytes;
    }
}
