package dev.ferry.engine.stats;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

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
