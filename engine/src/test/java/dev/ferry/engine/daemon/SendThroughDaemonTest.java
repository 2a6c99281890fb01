package dev.ferry.engine.daemon;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ferry.engine.cli.FerryCli;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code ferry send --daemon unix:PATH}: a local send's report, --stats-json and exit code, run by a daemon. */
final class SendThroughDaemonTest {
    private static final int MIB = 1 << 20;

    @Test
    void sendThroughADaemonReportsAndExitsAsALocalSend(@TempDir final Path dir) throws Exception {
        try (DaemonUnderTest b = DaemonUnderTest.start(dir.resolve("b"), true, 8, 10_000, null);
             DaemonUnderTest a = DaemonUnderTest.start(dir.resolve("a"), false, 8, 10_000, null)) {
            final Path guest = DaemonUnderTest.guestFile(dir, "vm.img", 4 * MIB);
            final Path stats = dir.resolve("stats.json");
            final String daemon = "unix:" + a.server.socket();
            final StringWriter err = new StringWriter();
            final int code = FerryCli.run(new PrintWriter(new StringWriter()), new PrintWriter(err), "send",
                "--daemon", daemon, "--connect", b.address(), "--memory-file", guest.toString(), "--name", "vm-1",
                "--downtime-limit", "250ms", "--no-auto-converge", "--stats-json", stats.toString());
            assertEquals(0, code, err.toString());
            assertTrue(err.toString().contains("source: completed, verified"), err.toString());
            final JsonNode json = DaemonUnderTest.JSON.readTree(stats.toFile());
            assertEquals("completed", json.get("status").asText());
            assertEquals(250, json.get("downtime-limit-ms").asInt(), "the option went through as written");
            assertFalse(json.has("id") || json.has("report"), "the --stats-json keys, no more: " + json);
            assertArrayEquals(Files.readAllBytes(guest), Files.readAllBytes(b.dataDir.resolve("vm-1")));

            final StringWriter again = new StringWriter();
            assertEquals(FerryCli.EXIT_FAILED, FerryCli.run(new PrintWriter(new StringWriter()), new PrintWriter(again),
                "send", "--daemon", daemon, "--connect", b.address(), "--memory-file", guest.toString(), "--name",
                "vm-1"), again.toString());
            assertTrue(again.toString().contains("source: failed (destination refused the setup"), again.toString());

            final StringWriter usage = new StringWriter();
            assertEquals(FerryCli.EXIT_USAGE, FerryCli.run(new PrintWriter(new StringWriter()), new PrintWriter(usage),
                "send", "--daemon", daemon, "--connect", b.address(), "--memory-file", guest.toString(),
                "--dirty-rate", "100"), usage.toString());
            assertTrue(usage.toString().contains("--dirty-rate is not taken with --daemon"), usage.toString());

            final StringWriter refused = new StringWriter();
            assertEquals(FerryCli.EXIT_USAGE, FerryCli.run(new PrintWriter(new StringWriter()),
                new PrintWriter(refused), "send", "--daemon", daemon, "--connect", b.address(), "--memory-file",
                guest.toString(), "--compress-level", "99"), refused.toString());
            assertTrue(refused.toString().contains("the daemon refused the migration (400)"), refused.toString());

            final StringWriter absent = new StringWriter();
            assertEquals(FerryCli.EXIT_FAILED, FerryCli.run(new PrintWriter(new StringWriter()), new PrintWriter(absent),
                "send", "--daemon", "unix:" + dir.resolve("none.sock"), "--connect", b.address(), "--memory-file",
                guest.toString()), absent.toString());
            assertTrue(absent.toString().contains("cannot reach the daemon at unix:"), absent.toString());
        }
    }
}
