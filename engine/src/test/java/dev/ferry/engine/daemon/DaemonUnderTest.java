package dev.ferry.engine.daemon;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ferry.engine.Secret;
import dev.ferry.engine.VerifyMode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A daemon in this JVM (its runtime, its control server on a Unix socket in a private directory) and a real HTTP
 * client of it; every answer may be held to the OpenAPI contract. Loopback only.
 */
final class DaemonUnderTest implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper();

    final Daemon daemon;
    final ControlServer server;
    final ControlClient client;
    final Path dataDir;
    final List<String> log = new CopyOnWriteArrayList<>();
    private final OpenApiContract contract;

    private DaemonUnderTest(final Path dir, final boolean listen, final int maxOutgoing, final long drainMs,
        final OpenApiContract contract) throws IOException {
        this.contract = contract;
        this.dataDir = listen ? Files.createDirectories(dir.resolve("guests")) : null;
        if (listen) {
            Files.setPosixFilePermissions(dataDir, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        }
        this.daemon = Daemon.start(new Daemon.Settings(listen ? new InetSocketAddress("127.0.0.1", 0) : null, dataDir,
            Secret.insecure(), null, VerifyMode.FULL, 8, maxOutgoing, 0, drainMs, 30_000, dir.resolve("counters"),
            false, line -> {
                log.add(line);
                System.err.println(dir.getFileName() + ": " + line);
            }));
        try {
            this.server = ControlServer.start(daemon, dir.resolve("control").resolve("api.sock"), null, null,
                log::add);
        } catch (final RuntimeException ex) {
            daemon.close();
            throw ex;
        }
        this.client = ControlClient.of(server.socket());
    }

    /** A daemon under {@code dir} (which it owns): listening on loopback if {@code listen}. */
    static DaemonUnderTest start(final Path dir, final boolean listen, final int maxOutgoing, final long drainMs,
        final OpenApiContract contract) throws IOException {
        Files.createDirectories(dir);
        return new DaemonUnderTest(dir, listen, maxOutgoing, drainMs, contract);
    }

    String address() {
        final InetSocketAddress address = (InetSocketAddress)daemon.localAddress();
        return "127.0.0.1:" + address.getPort();
    }

    /** One request; its answer held to the contract when there is one. */
    ControlClient.Answer call(final String method, final String path, final String body) {
        final ControlClient.Answer answer = client.request(method, path, body);
        if (null != contract) {
            contract.check(method, path, answer.status(), answer.body());
        }
        return answer;
    }

    /** One request that must answer {@code status}; its JSON. */
    JsonNode expect(final int status, final String method, final String path, final String body) {
        final ControlClient.Answer answer = call(method, path, body);
        assertEquals(status, answer.status(), method + " " + path + " " + body + " answered " + answer.body());
        try {
            return answer.body().isEmpty() ? null : JSON.readTree(answer.body());
        } catch (final IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    /** POSTs a migration of {@code file} to {@code to} as {@code name}, with {@code options} (JSON fields, or ""). */
    String send(final DaemonUnderTest to, final Path file, final String name, final String options) {
        final String body = "{\"connect\": \"" + to.address() + "\", \"memory-file\": \"" + file + "\", \"name\": \"" +
            name + "\", \"channels\": 2" + (options.isEmpty() ? "" : ", " + options) + "}";
        return expect(201, "POST", "/v1/migrations", body).get("id").asText();
    }

    /** Waits (bounded) until migration {@code id} satisfies {@code until}; its JSON then. */
    JsonNode await(final String id, final Predicate<JsonNode> until, final long timeoutMs) throws InterruptedException {
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        JsonNode now = null;
        while (System.nanoTime() - deadline < 0) {
            now = expect(200, "GET", "/v1/migrations/" + id, null);
            if (until.test(now)) {
                return now;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("migration " + id + " did not get there in " + timeoutMs + " ms: " + now);
    }

    JsonNode awaitEnded(final String id) throws InterruptedException {
        return await(id, node -> dev.ferry.engine.MigrationStatus.isEndedJsonName(node.get("state").asText()), 60_000);
    }

    /** A memory file of {@code bytes} random bytes. */
    static Path guestFile(final Path dir, final String name, final int bytes) throws IOException {
        final byte[] content = new byte[bytes];
        ThreadLocalRandom.current().nextBytes(content);
        return Files.write(dir.resolve(name), content);
    }

    @Override
    public void close() {
        try {
            daemon.shutdown("the test ended").get(60, TimeUnit.SECONDS);
        } catch (final Exception ex) {
            throw new AssertionError("the daemon did not drain", ex);
        } finally {
            server.close();
            client.close();
        }
    }
}
