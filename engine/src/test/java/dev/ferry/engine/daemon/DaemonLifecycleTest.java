package dev.ferry.engine.daemon;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Two daemons migrating both ways at once, and the drain: migrations that finish in time, and those that do not. */
final class DaemonLifecycleTest {
    private static final int MIB = 1 << 20;

    @Test
    void twoDaemonsMigrateSeveralGuestsBothWaysAtOnce(@TempDir final Path dir) throws Exception {
        try (DaemonUnderTest a = DaemonUnderTest.start(dir.resolve("a"), true, 8, 30_000, null);
             DaemonUnderTest b = DaemonUnderTest.start(dir.resolve("b"), true, 8, 30_000, null)) {
            final List<Path> files = new ArrayList<>();
            final List<String[]> sent = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                final Path toB = DaemonUnderTest.guestFile(dir, "ab-" + i, (2 + i) * MIB);
                final Path toA = DaemonUnderTest.guestFile(dir, "ba-" + i, (2 + i) * MIB);
                files.add(toB);
                files.add(toA);
                sent.add(new String[] {"a", a.send(b, toB, "ab-" + i, "")});
                sent.add(new String[] {"b", b.send(a, toA, "ba-" + i, "")});
            }
            for (final String[] one : sent) {
                final JsonNode ended = ("a".equals(one[0]) ? a : b).awaitEnded(one[1]);
                assertEquals("completed", ended.get("state").asText(), ended.toString());
                assertTrue(ended.get("verified").asBoolean());
            }
            for (final Path file : files) {
                final Path landed = (file.getFileName().toString().startsWith("ab") ? b : a).dataDir
                    .resolve(file.getFileName());
                assertArrayEquals(Files.readAllBytes(file), Files.readAllBytes(landed), landed.toString());
            }
            assertEquals(3, a.expect(200, "GET", "/v1/migrations?role=destination&state=completed", null).size());
            assertEquals(3, b.expect(200, "GET", "/v1/guests", null).size());
        }
    }

    @Test
    void aDrainLetsRunningMigrationsFinishAndRefusesNewOnesAsDraining(@TempDir final Path dir) throws Exception {
        final DaemonUnderTest b = DaemonUnderTest.start(dir.resolve("b"), true, 8, 60_000, null);
        try (DaemonUnderTest a = DaemonUnderTest.start(dir.resolve("a"), false, 8, 30_000, null)) {
            final Path guest = DaemonUnderTest.guestFile(dir, "slow.img", 8 * MIB);
            final String running = a.send(b, guest, "slow", "\"max-bandwidth\": \"4m/s\"");
            a.await(running, node -> "active".equals(node.get("state").asText()), 30_000);
            final var stopped = b.daemon.shutdown("the test");
            final String late = a.send(b, guest, "late", "");
            final JsonNode refused = a.awaitEnded(late);
            assertEquals("failed", refused.get("state").asText(), refused.toString());
            assertEquals("DESTINATION_BUSY", refused.get("error-code").asText(), refused.toString());
            assertTrue(refused.get("error").asText().contains("draining"), refused.toString());
            assertEquals(0, (int)stopped.get(60, TimeUnit.SECONDS), "every migration at the drain completed");
            assertEquals("completed", a.awaitEnded(running).get("state").asText());
            assertArrayEquals(Files.readAllBytes(guest), Files.readAllBytes(b.dataDir.resolve("slow")));
            assertTrue(b.log.stream().anyMatch(line -> line.contains("destination slow: completed, verified")),
                String.join("\n", b.log));
        } finally {
            b.server.close();
            b.client.close();
        }
    }

    @Test
    void pastTheDrainTimeoutMigrationsAreCancelledCleanlyBothSides(@TempDir final Path dir) throws Exception {
        try (DaemonUnderTest b = DaemonUnderTest.start(dir.resolve("b"), true, 8, 30_000, null)) {
            final DaemonUnderTest a = DaemonUnderTest.start(dir.resolve("a"), false, 8, 300, null);
            final Path guest = DaemonUnderTest.guestFile(dir, "slow.img", 32 * MIB);
            final String id = a.send(b, guest, "stuck", "\"max-bandwidth\": \"1m/s\"");
            a.await(id, node -> "active".equals(node.get("state").asText()), 30_000);
            try {
                assertEquals(0, (int)a.daemon.shutdown("the test").get(60, TimeUnit.SECONDS),
                    "a migration cancelled at the drain timeout ends cleanly: " + String.join("\n", a.log));
            } finally {
                a.server.close();
                a.client.close();
            }
            assertTrue(a.log.stream().anyMatch(line -> line.contains("source stuck: cancelled (cancelled at the " +
                "drain timeout)")), String.join("\n", a.log));
            final JsonNode in = b.expect(200, "GET", "/v1/migrations", null);
            assertEquals("cancelled", b.awaitEnded(in.get(0).get("id").asText()).get("state").asText());
            try (Stream<Path> files = Files.list(b.dataDir)) {
                assertEquals(List.of(), files.toList(), "no guest and no partial file are left");
            }
            assertFalse(Files.exists(b.dataDir.resolve("stuck")));
        }
    }
}
