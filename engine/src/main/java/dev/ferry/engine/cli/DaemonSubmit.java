package dev.ferry.engine.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ferry.engine.ErrorCode;
import dev.ferry.engine.FerryException;
import dev.ferry.engine.MigrationStatus;
import dev.ferry.engine.VerifyMode;
import dev.ferry.engine.daemon.ControlClient;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParseResult;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * {@code ferry send --daemon unix:PATH ...}: the same send, run by a daemon instead of this process. The options
 * given go to {@code POST /v1/migrations} as written (named as the flags, values as typed; the memory file made
 * absolute); then it waits for the migration to end and prints the same report, writes the same --stats-json and
 * exits with the same code as a local send. Ctrl-C cancels the daemon's migration.
 */
final class DaemonSubmit {
    /** What only this process knows: left out of the request. */
    private static final Set<String> LOCAL = Set.of("--daemon", "--stats-json", "--verbose");
    /** What a daemon does its own way: refused with --daemon, saying why. */
    private static final Set<String> REFUSED = Set.of("--dirty-rate", "--hot-set", "--writers", "--hlog",
        "--counters-dir", "--secret-file", "--insecure", "--tls-keystore", "--tls-truststore", "--tls-password-file");
    /** Keys of the daemon's migration object that --stats-json does not have. */
    private static final List<String> DAEMON_KEYS = List.of("id", "state", "created", "memory-file", "report");
    private static final long POLL_MS = 200;
    private static final long CANCEL_WAIT_MS = 10_000;

    private final ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private final Path socket;
    private final PrintWriter err;
    /** The migration as the daemon last answered it. */
    private volatile JsonNode lastSeen;

    DaemonSubmit(final Path socket, final PrintWriter err) {
        this.socket = socket;
        this.err = err;
    }

    /** The request body from the options matched on the command line. */
    ObjectNode body(final ParseResult parsed, final Path memoryFile) {
        final ObjectNode body = json.createObjectNode();
        for (final OptionSpec option : parsed.matchedOptions()) {
            final String name = option.longestName();
            if (LOCAL.contains(name)) {
                continue;
            }
            if (REFUSED.contains(name)) {
                throw new FerryException(ErrorCode.CONFIGURATION, name + " is not taken with --daemon: the daemon " +
                    "uses its own secret, TLS and counters directory, and runs no synthetic workload");
            }
            if ("--memory-file".equals(name)) {
                body.put("memory-file", memoryFile.toAbsolutePath().normalize().toString());
            } else if (option.typeInfo().isBoolean()) {
                body.put(name.substring(2), (Boolean)option.getValue());
            } else {
                final List<String> values = option.originalStringValues();
                body.put(name.substring(2), values.get(values.size() - 1));
            }
        }
        return body;
    }

    /** Submits, waits for the end, reports; the exit code. */
    int run(final ObjectNode body, final VerifyMode verify, final Path statsJson) throws IOException {
        try (ControlClient client = ControlClient.of(socket)) {
            final ControlClient.Answer created = client.request("POST", "/v1/migrations", json.writeValueAsString(body));
            if (created.status() != 201) {
                final JsonNode error = json.readTree(created.body());
                throw new FerryException(created.status() == 400 ? ErrorCode.CONFIGURATION :
                    ErrorCode.valueOf(error.path("error-code").asText("INTERNAL")), "the daemon refused the " +
                    "migration (" + created.status() + "): " + error.path("message").asText(created.body()));
            }
            final String id = json.readTree(created.body()).path("id").asText();
            err.println("ferry: submitted to the daemon at unix:" + socket + " as " + id + "; waiting for it to end " +
                "(Ctrl-C cancels it)");
            err.flush();
            final Thread cancelOnInterrupt = new Thread(() -> cancel(client, id), "ferry-send-daemon-interrupt");
            Runtime.getRuntime().addShutdownHook(cancelOnInterrupt);
            final JsonNode ended;
            // SIGUSR1 forces the switchover, as with a local send; the request runs off the signal thread.
            try (SwitchoverSignal forcing = SwitchoverSignal.install(() -> new Thread(() -> client.request("POST",
                "/v1/migrations/" + id + "/switchover", null), "ferry-send-daemon-switchover").start(), err)) {
                ended = awaitEnd(client, id, Long.MAX_VALUE);
            } finally {
                try {
                    Runtime.getRuntime().removeShutdownHook(cancelOnInterrupt);
                } catch (final IllegalStateException ignore) {
                    // going down: the hook cancels and reports.
                }
            }
            if (null == ended) {
                err.println("ferry: the daemon stopped answering before migration " + id + " ended (was it stopped? " +
                    "its log has the migration's report); last seen: " + (null == lastSeen ? "nothing" :
                    lastSeen.path("state").asText()));
                err.flush();
                return FerryCli.EXIT_FAILED;
            }
            return report(ended, verify, statsJson);
        }
    }

    /** On Ctrl-C or SIGTERM: cancel the daemon's migration, wait a little for its end, report it, exit 1. */
    private void cancel(final ControlClient client, final String id) {
        try {
            client.request("DELETE", "/v1/migrations/" + id, null);
            final JsonNode ended = awaitEnd(client, id, CANCEL_WAIT_MS);
            if (null != ended) {
                err.print(ended.path("report").asText(""));
            }
            err.println("ferry: interrupted: the daemon's migration " + id + " was cancelled");
        } catch (final RuntimeException ignore) {
            // the JVM is going down; what could be done was done.
        }
        err.flush();
        Runtime.getRuntime().halt(FerryCli.EXIT_FAILED);
    }

    private JsonNode awaitEnd(final ControlClient client, final String id, final long waitMs) {
        final long deadline = waitMs == Long.MAX_VALUE ? Long.MAX_VALUE : System.nanoTime() +
            TimeUnit.MILLISECONDS.toNanos(waitMs);
        while (System.nanoTime() - deadline < 0 || deadline == Long.MAX_VALUE) {
            final ControlClient.Answer answer;
            try {
                answer = client.request("GET", "/v1/migrations/" + id, null);
            } catch (final FerryException gone) {
                if (null == lastSeen) {
                    throw gone;
                }
                return null; // it answered before: it went away (drained and stopped, or killed) meanwhile
            }
            try {
                final JsonNode node = json.readTree(answer.body());
                if (answer.status() != 200) {
                    throw new FerryException(ErrorCode.INTERNAL, "the daemon lost migration " + id + ": " +
                        node.path("message").asText(answer.body()));
                }
                lastSeen = node;
                if (MigrationStatus.isEndedJsonName(node.path("state").asText())) {
                    return node;
                }
                Thread.sleep(POLL_MS);
            } catch (final IOException ex) {
                throw new UncheckedIOException(ex);
            } catch (final InterruptedException ex) {
                Thread.currentThread().interrupt();
                return null;
            }
        }
        return null;
    }

    private int report(final JsonNode ended, final VerifyMode verify, final Path statsJson) throws IOException {
        err.print(ended.path("report").asText(ended.path("state").asText() + ": " + ended.path("error").asText("") +
            "\n"));
        if (null != statsJson) {
            final ObjectNode stats = ((ObjectNode)ended).deepCopy();
            stats.remove(DAEMON_KEYS);
            final byte[] bytes = (json.writeValueAsString(stats) + "\n").getBytes(StandardCharsets.UTF_8);
            OutputFile.write(statsJson, "--stats-json", out -> {
                try {
                    out.write(bytes);
                } catch (final IOException ex) {
                    throw new UncheckedIOException(ex);
                }
            });
        }
        err.flush();
        final boolean completed = "completed".equals(ended.path("state").asText());
        return completed && (ended.path("verified").asBoolean() || verify == VerifyMode.NONE) ? FerryCli.EXIT_COMPLETED :
            FerryCli.EXIT_FAILED;
    }
}
