package dev.ferry.engine.daemon;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The control API end to end: real daemons in this JVM, a real HTTP client over their Unix sockets, every
 * endpoint and every error status, each answer held to docs/openapi.yaml; the last test shows that every answer
 * the file documents was produced (so neither the file nor the server has one the other lacks).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
final class ControlApiTest {
    private static final int MIB = 1 << 20;

    private Path dir;

    private OpenApiContract contract;
    private DaemonUnderTest sender;
    private DaemonUnderTest receiver;
    private Path guest;
    private Path slowGuest;

    @BeforeAll
    void start(@TempDir final Path temp) throws Exception {
        dir = temp;
        contract = OpenApiContract.ofRepository();
        sender = DaemonUnderTest.start(dir.resolve("a"), false, 8, 30_000, contract);
        receiver = DaemonUnderTest.start(dir.resolve("b"), true, 8, 30_000, contract);
        guest = DaemonUnderTest.guestFile(dir, "guest.img", 4 * MIB);
        slowGuest = DaemonUnderTest.guestFile(dir, "slow.img", 16 * MIB);
    }

    @AfterAll
    void stop() {
        if (null != sender) {
            sender.close();
        }
        if (null != receiver) {
            receiver.close();
        }
    }

    @Test
    @Order(1)
    void aMigrationPostedEndsVerifiedAndItsGuestIsListed() throws Exception {
        final String id = sender.send(receiver, guest, "web-01", "\"downtime-limit\": \"300ms\", \"verify\": \"full\"");
        final JsonNode ended = sender.awaitEnded(id);
        assertEquals("completed", ended.get("state").asText(), ended.toString());
        assertTrue(ended.get("verified").asBoolean());
        assertTrue(ended.get("report").asText().startsWith("source: completed, verified"), ended.toString());
        assertEquals(4 * MIB, ended.get("total-bytes").asLong());
        assertArrayEquals(Files.readAllBytes(guest), Files.readAllBytes(receiver.dataDir.resolve("web-01")));

        assertEquals(1, sender.expect(200, "GET", "/v1/migrations?state=completed&role=source", null).size());
        assertEquals(0, sender.expect(200, "GET", "/v1/migrations?role=destination", null).size());
        assertEquals(0, sender.expect(200, "GET", "/v1/migrations?state=running", null).size());
        final JsonNode incoming = receiver.expect(200, "GET", "/v1/migrations?state=ended", null);
        assertEquals("web-01", incoming.get(0).get("guest").asText());
        assertEquals("destination", incoming.get(0).get("role").asText());
        sender.expect(400, "GET", "/v1/migrations?state=sleeping", null);
        assertEquals("colour", sender.expect(400, "GET", "/v1/migrations?colour=red", null).get("field").asText());

        final JsonNode guests = receiver.expect(200, "GET", "/v1/guests", null);
        assertEquals("web-01", guests.get(0).get("name").asText());
        assertEquals(4 * MIB, guests.get(0).get("size-bytes").asLong());
        assertTrue(guests.get(0).get("verified").asBoolean());
        sender.expect(404, "GET", "/v1/guests", null); // a daemon without --listen has no data directory

        final JsonNode daemon = receiver.expect(200, "GET", "/v1/daemon", null);
        assertEquals("running", daemon.get("state").asText());
        assertEquals(receiver.address(), daemon.get("listen").asText());
    }

    @Test
    @Order(2)
    void everyBadRequestIsA400ThatNamesTheField() throws Exception {
        final String to = "\"connect\": \"" + receiver.address() + "\", \"memory-file\": \"" + guest + "\"";
        final List<String[]> cases = new ArrayList<>(List.of(
            new String[] {"{\"connect\": ", "body"},
            new String[] {"[1, 2]", "body"},
            new String[] {"{" + to + ", \"colour\": \"red\"}", "colour"},
            new String[] {"{" + to + ", \"switchover-dirty\": \"12q\"}", "switchover-dirty"},
            new String[] {"{" + to + ", \"downtime-limit\": \"300\"}", "downtime-limit"},
            new String[] {"{" + to + ", \"max-bandwidth\": \"fast\"}", "max-bandwidth"},
            new String[] {"{" + to + ", \"channels\": \"two\"}", "channels"},
            new String[] {"{" + to + ", \"auto-converge\": \"yes\"}", "auto-converge"},
            new String[] {"{" + to + ", \"compress\": \"lz4\"}", "compress"},
            new String[] {"{" + to + ", \"channels\": {\"n\": 2}}", "channels"},
            new String[] {"{\"memory-file\": \"" + guest + "\"}", "connect"},
            new String[] {"{\"connect\": \"" + receiver.address() + "\"}", "memory-file"},
            new String[] {"{\"connect\": \"nowhere\", \"memory-file\": \"" + guest + "\"}", "connect"},
            new String[] {"{\"connect\": \"" + receiver.address() + "\", \"memory-file\": \"guest.img\"}", "memory-file"},
            new String[] {"{\"connect\": \"" + receiver.address() + "\", \"memory-file\": \"/nowhere/x\"}", "memory-file"}));
        final Path link = Files.createSymbolicLink(dir.resolve("link.img"), guest);
        cases.add(new String[] {"{\"connect\": \"" + receiver.address() + "\", \"memory-file\": \"" + link + "\"}",
            "memory-file"});
        for (final String name : List.of("../etc/passwd", "a/b", ".hidden", "x.partial", "x".repeat(65), "", "a b")) {
            cases.add(new String[] {"{" + to + ", \"name\": \"" + name + "\"}", "name"});
        }
        for (final String[] bad : cases) {
            final JsonNode error = sender.expect(400, "POST", "/v1/migrations", bad[0]);
            assertEquals(bad[1], error.get("field").asText(), bad[0] + " -> " + error);
            assertEquals("CONFIGURATION", error.get("error-code").asText());
            assertTrue(error.get("message").asText().startsWith(bad[1] + ": "), error.toString());
        }
        assertEquals(0, sender.expect(200, "GET", "/v1/migrations?state=queued", null).size(), "nothing was started");
        final String huge = "{\"name\": \"" + "x".repeat(ControlServer.MAX_BODY_BYTES) + "\"}";
        assertEquals("body", sender.expect(413, "POST", "/v1/migrations", huge).get("field").asText());
        assertEquals("body", sender.expect(400, "POST", "/v1/migrations", null).get("field").asText());
        sender.expect(404, "GET", "/v1/migrations/out-999", null);
        assertEquals(404, sender.client.request("GET", "/v2/migrations", null).status());
        // A method a path does not take is not in the contract's paths: a 405 with the same Error object.
        final ControlClient.Answer put = sender.client.request("PUT", "/v1/migrations", "{}");
        assertEquals(405, put.status());
        assertEquals(405, DaemonUnderTest.JSON.readTree(put.body()).get("status").asInt(), put.body());
        assertTrue(put.body().contains("allowed: GET, POST"), put.body());
        assertEquals("GET, POST", put.allow(), "a 405 says which methods the path takes");
    }

    @Test
    @Order(3)
    void aRunningMigrationIsChangedLiveForcedAndItsGuestCannotBeDeleted() throws Exception {
        final String id = sender.send(receiver, slowGuest, "busy", "\"max-bandwidth\": \"1m/s\"");
        sender.await(id, node -> "active".equals(node.get("state").asText()), 30_000);
        final JsonNode incoming = receiver.expect(200, "GET", "/v1/migrations?state=running", null);
        final String in = incoming.get(0).get("id").asText();
        assertEquals(409, receiver.expect(409, "DELETE", "/v1/guests/busy", null).get("status").asInt());
        // Its name is held from SETUP on: no preparation may take (and replace) the file it is written to.
        receiver.expect(409, "POST", "/v1/guests", "{\"name\": \"busy\", \"size\": \"16m\"}");
        receiver.expect(409, "PATCH", "/v1/migrations/" + in, "{\"max-bandwidth\": \"1g/s\"}");
        receiver.expect(409, "POST", "/v1/migrations/" + in + "/switchover", null);

        assertEquals("channels", sender.expect(400, "PATCH", "/v1/migrations/" + id, "{\"channels\": 4}")
            .get("field").asText());
        assertEquals("max-bandwidth", sender.expect(400, "PATCH", "/v1/migrations/" + id,
            "{\"max-bandwidth\": \"quick\"}").get("field").asText());
        sender.expect(400, "PATCH", "/v1/migrations/" + id, "{}");
        final JsonNode changed = sender.expect(200, "PATCH", "/v1/migrations/" + id,
            "{\"downtime-limit\": \"2s\", \"max-bandwidth\": \"512m/s\"}");
        assertEquals(2000, changed.get("downtime-limit-ms").asLong(), changed.toString());
        assertEquals(512L * MIB, changed.get("max-bandwidth-bytes-per-sec").asLong(), changed.toString());
        sender.expect(202, "POST", "/v1/migrations/" + id + "/switchover", null);
        final JsonNode ended = sender.awaitEnded(id);
        assertEquals("completed", ended.get("state").asText(), ended.toString());
        assertArrayEquals(Files.readAllBytes(slowGuest), Files.readAllBytes(receiver.dataDir.resolve("busy")));

        sender.expect(409, "PATCH", "/v1/migrations/" + id, "{\"max-bandwidth\": \"1g/s\"}");
        sender.expect(409, "POST", "/v1/migrations/" + id + "/switchover", null);
        sender.expect(409, "DELETE", "/v1/migrations/" + id, null);
        sender.expect(404, "PATCH", "/v1/migrations/out-999", "{\"max-bandwidth\": \"1g/s\"}");
        sender.expect(404, "POST", "/v1/migrations/out-999/switchover", null);
        sender.expect(404, "DELETE", "/v1/migrations/out-999", null);
    }

    @Test
    @Order(4)
    void aCancelledMigrationLeavesNoGuestAndNoPartialFile() throws Exception {
        final String id = sender.send(receiver, slowGuest, "doomed", "\"max-bandwidth\": \"1m/s\"");
        sender.await(id, node -> "active".equals(node.get("state").asText()), 30_000);
        sender.expect(202, "DELETE", "/v1/migrations/" + id, null);
        final JsonNode ended = sender.awaitEnded(id);
        assertEquals("cancelled", ended.get("state").asText(), ended.toString());
        String inId = null;
        for (final JsonNode in : receiver.expect(200, "GET", "/v1/migrations?role=destination", null)) {
            inId = "doomed".equals(in.path("guest").asText()) ? in.get("id").asText() : inId;
        }
        assertEquals("cancelled", receiver.awaitEnded(inId).get("state").asText(), "the destination's side too");
        try (var files = Files.list(receiver.dataDir)) {
            assertEquals(List.of("busy", "web-01"), files.map(f -> f.getFileName().toString()).sorted().toList());
        }
    }

    @Test
    @Order(6)
    void guestsAreDeletedByNameOnly() throws Exception {
        receiver.expect(204, "DELETE", "/v1/guests/busy", null);
        assertFalse(Files.exists(receiver.dataDir.resolve("busy")));
        receiver.expect(404, "DELETE", "/v1/guests/busy", null);
        assertEquals("name", receiver.expect(400, "DELETE", "/v1/guests/.hidden", null).get("field").asText());
        receiver.expect(400, "DELETE", "/v1/guests/web-01.partial", null);
        assertTrue(Files.exists(receiver.dataDir.resolve("web-01")));
        sender.expect(404, "DELETE", "/v1/guests/web-01", null);
    }

    @Test
    @Order(5)
    void aPreparedGuestIsTakenByItsMigrationAndAnUnusedOneIsThrownAway() throws Exception {
        final JsonNode prepared = receiver.expect(201, "POST", "/v1/guests", "{\"name\": \"warm\", \"size\": \"4m\", " +
            "\"prefault\": true}");
        assertTrue(prepared.get("prefaulted").asBoolean());
        assertEquals(4 * MIB, prepared.get("size-bytes").asLong());
        receiver.expect(409, "POST", "/v1/guests", "{\"name\": \"warm\", \"size\": \"4m\"}");
        receiver.expect(409, "POST", "/v1/guests", "{\"name\": \"web-01\", \"size\": 4194304}"); // exists
        assertEquals("size", receiver.expect(400, "POST", "/v1/guests", "{\"name\": \"x\", \"size\": \"5000\"}")
            .get("field").asText());
        assertEquals("name", receiver.expect(400, "POST", "/v1/guests", "{\"name\": \"../x\", \"size\": \"4m\"}")
            .get("field").asText());
        assertEquals("colour", receiver.expect(400, "POST", "/v1/guests", "{\"name\": \"x\", \"colour\": 1}")
            .get("field").asText());
        sender.expect(404, "POST", "/v1/guests", "{\"name\": \"x\", \"size\": \"4m\"}");
        final JsonNode ended = sender.awaitEnded(sender.send(receiver, guest, "warm", ""));
        assertEquals("completed", ended.get("state").asText(), ended.toString());
        assertArrayEquals(Files.readAllBytes(guest), Files.readAllBytes(receiver.dataDir.resolve("warm")));

        receiver.expect(201, "POST", "/v1/guests", "{\"name\": \"unused\", \"size\": \"8m\"}");
        final JsonNode refused = sender.awaitEnded(sender.send(receiver, guest, "unused", ""));
        assertEquals("SETUP_REFUSED", refused.get("error-code").asText(), "4 MiB into 8 MiB prepared: " + refused);
        // Two preparations of one name at once: one is prepared, the other refused, and the file stays the first's.
        final java.util.concurrent.CompletableFuture<Integer> first = java.util.concurrent.CompletableFuture.supplyAsync(
            () -> receiver.client.request("POST", "/v1/guests", "{\"name\": \"unused\", \"size\": \"256m\", " +
                "\"prefault\": true}").status());
        final int second = receiver.client.request("POST", "/v1/guests", "{\"name\": \"unused\", \"size\": " +
            "\"256m\", \"prefault\": true}").status();
        assertEquals(List.of(201, 409), java.util.stream.Stream.of(first.get(), second).sorted().toList());
        try (var files = Files.list(receiver.dataDir)) {
            assertEquals(1, files.filter(f -> f.getFileName().toString().startsWith("unused.")).count());
        }
        receiver.expect(204, "DELETE", "/v1/guests/unused", null);
        receiver.expect(204, "DELETE", "/v1/guests/warm", null);
        try (var files = Files.list(receiver.dataDir)) {
            assertEquals(List.of("busy", "web-01"), files.map(f -> f.getFileName().toString()).sorted().toList());
        }
    }

    @Test
    @Order(7)
    void beyondMaxOutgoingAMigrationWaitsQueuedAndCanBeCancelledThere(@TempDir final Path own) throws Exception {
        try (DaemonUnderTest one = DaemonUnderTest.start(own.resolve("one"), false, 1, 10_000, contract)) {
            final String first = one.send(receiver, slowGuest, "first", "\"max-bandwidth\": \"1m/s\"");
            final String second = one.send(receiver, guest, "second", "");
            assertEquals("queued", one.expect(200, "GET", "/v1/migrations/" + second, null).get("state").asText());
            assertEquals(second, one.expect(200, "GET", "/v1/migrations?state=queued", null).get(0).get("id").asText());
            one.expect(202, "DELETE", "/v1/migrations/" + second, null);
            final JsonNode cancelled = one.awaitEnded(second);
            assertEquals("cancelled", cancelled.get("state").asText(), cancelled.toString());
            assertFalse(cancelled.has("total-bytes"), "it never started: " + cancelled);
            one.expect(202, "DELETE", "/v1/migrations/" + first, null);
            one.awaitEnded(first);
        }
    }

    @Test
    @Order(8)
    void metricsAreServed() {
        final ControlClient.Answer metrics = sender.call("GET", "/metrics", null);
        assertEquals(200, metrics.status());
        assertTrue(metrics.body().contains("ferry_migration_transferred_bytes_total{id=\"out-1\",name=\"web-01\"," +
            "role=\"source\"}"), metrics.body());
        assertTrue(metrics.body().contains("ferry_migrations_running{role=\"source\"} 0"), metrics.body());
        assertEquals(405, sender.client.request("POST", "/metrics", "{}").status());
    }

    @Test
    @Order(9)
    void aDrainingDaemonRefusesNewMigrationsWith503() throws Exception {
        final JsonNode draining = sender.expect(202, "POST", "/v1/shutdown", null);
        assertTrue(List.of("draining", "stopped").contains(draining.get("state").asText()), draining.toString());
        final JsonNode refused = sender.expect(503, "POST", "/v1/migrations", "{\"connect\": \"" +
            receiver.address() + "\", \"memory-file\": \"" + guest + "\"}");
        assertEquals("RUNTIME_BUSY", refused.get("error-code").asText());
        assertTrue(refused.get("message").asText().contains("draining"), refused.toString());
        sender.expect(503, "POST", "/v1/guests", "{\"name\": \"late\", \"size\": \"4m\"}");
        assertEquals(0, (int)sender.daemon.stopped().get(30, java.util.concurrent.TimeUnit.SECONDS));
    }

    @Test
    @Order(10)
    void everyAnswerTheContractDocumentsWasSeen() {
        assertEquals(List.of(), contract.unseen(), "answers docs/openapi.yaml documents that no test produced");
    }
}
