package dev.ferry.engine.stats;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Counters published in a file are read back, labelled, from the directory; closing removes the file. */
final class CountersFileTest {
    @TempDir
    Path dir;

    @Test
    void publishedCountersAreReadByLabelAndGoneAfterClose() throws Exception {
        final Path path;
        try (Counters counters = new Counters(CountersFile.create(dir, "source", Counters.capacity(2)))) {
            counters.channels(2);
            counters.channel(1).add(4096 + 24, 1, 0);
            counters.rounds(3);
            counters.refresh(100);
            final List<CountersFile.Sample> samples = CountersFile.readAll(dir);
            assertTrue(samples.stream().allMatch(s -> s.pid() == ProcessHandle.current().pid() && s.alive() &&
                s.role().equals("source")), samples.toString());
            assertEquals(4220, value(samples, "transferred-bytes"));
            assertEquals(4120, value(samples, "channel-bytes[1]"));
            assertEquals(3, value(samples, "rounds"));
            assertEquals(-1, value(samples, "downtime-ms"));
            try (var files = Files.list(dir)) {
                path = files.findFirst().orElseThrow();
            }
        }
        assertFalse(Files.exists(path), "closing the counters removes their file");
        assertEquals(List.of(), CountersFile.readAll(dir));
    }

    /**
     * The file's size is derived from the descriptors' scopes, not kept in step by hand: a side with its channels and
     * its own counters fills it exactly, and every counter of every side is there under its label.
     */
    @Test
    void eachSideFillsItsFileExactlyWithEveryCounterItsScopeGivesIt() throws Exception {
        final int channels = 3;
        for (final CounterDescriptor.Scope side : new CounterDescriptor.Scope[] {CounterDescriptor.Scope.SOURCE,
            CounterDescriptor.Scope.DESTINATION}) {
            final Path sideDir = dir.resolve(side.name().toLowerCase(Locale.ROOT));
            try (Counters counters = new Counters(CountersFile.create(sideDir, "source", Counters.capacity(channels)))) {
                counters.channels(channels);
                for (final CounterDescriptor descriptor : CounterDescriptor.values()) {
                    if (descriptor.scope() == side) {
                        counters.allocate(descriptor);
                    }
                }
                final List<String> labels = CountersFile.readAll(sideDir).stream().map(CountersFile.Sample::label)
                    .toList();
                for (final CounterDescriptor descriptor : CounterDescriptor.values()) {
                    if (descriptor.scope() == CounterDescriptor.Scope.PER_CHANNEL) {
                        for (int c = 0; c < channels; c++) {
                            assertTrue(labels.contains(descriptor.label(c)), descriptor.label(c) + " in " + labels);
                        }
                    } else if (descriptor.scope() == CounterDescriptor.Scope.EVERY_SIDE || descriptor.scope() == side) {
                        assertTrue(labels.contains(descriptor.label()), descriptor.label() + " in " + labels);
                    }
                }
                assertTrue(labels.size() <= Counters.capacity(channels), labels.size() + " counters in a file for " +
                    Counters.capacity(channels));
            }
        }
    }

    @Test
    void aFileWithoutItsMagicIsIgnoredAndAMissingDirectoryHasNone() throws Exception {
        Files.write(dir.resolve("1-source-1" + CountersFile.SUFFIX), new byte[4096]);
        assertEquals(List.of(), CountersFile.readAll(dir));
        assertEquals(List.of(), CountersFile.readAll(dir.resolve("missing")));
    }

    private static long value(final List<CountersFile.Sample> samples, final String label) {
        return samples.stream().filter(s -> s.label().equals(label)).findFirst().orElseThrow().value();
    }
}
