package dev.ferry.engine.daemon;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ferry.engine.ErrorCode;
import dev.ferry.engine.FerryException;
import dev.ferry.engine.MigrationSource;
import dev.ferry.engine.MigrationStatus;
import dev.ferry.engine.text.Units;
import dev.ferry.memory.MemoryException;

import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * The control API's meaning, without HTTP's plumbing ({@link ControlServer} carries it): a method, a path, a query
 * and a body in, an {@link Answer} out. docs/openapi.yaml describes every path, and a test holds the answers to it.
 * Every error is a JSON object with the HTTP status, Ferry's stable error code and a message naming what was wrong
 * (and the field, for a bad request); nothing a client sends reaches the file system but through the data
 * directory's checked names ({@link GuestDirectory}) and the memory file a POST names, which is only read.
 */
final class ControlApi {
    static final String JSON = "application/json";
    static final String MIGRATIONS = "/v1/migrations";
    private static final String GUESTS = "/v1/guests";

    private final Daemon daemon;
    private final DaemonMetrics metrics;
    private static final ObjectMapper JSON_MAPPER = new ObjectMapper()
        .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
        .enable(SerializationFeature.INDENT_OUTPUT);


    /** What to send back: a status, a content type, the body and one optional header. */
    record Answer(int status, String contentType, byte[] body, String header, String headerValue) {
        static Answer of(final int status, final String contentType, final String body) {
            return new Answer(status, contentType, body.getBytes(StandardCharsets.UTF_8), null, null);
        }

        Answer with(final String name, final String value) {
            return new Answer(status, contentType, body, name, value);
        }
    }

    ControlApi(final Daemon daemon, final DaemonMetrics metrics) {
        this.daemon = daemon;
        this.metrics = metrics;
    }

    /** Answers one request; never throws. */
    Answer answer(final String method, final String path, final Map<String, String> query, final String body) {
        try {
            return route(method, path, query, body);
        } catch (final ApiException ex) {
            final Answer answer = error(ex.status(), ex.code(), ex.field(), ex.getMessage());
            return null == ex.allow() ? answer : answer.with("Allow", ex.allow());
        } catch (final FerryException ex) {
            final int status = ex.code() == ErrorCode.RUNTIME_BUSY ? 503 : ex.code() == ErrorCode.CONFIGURATION ? 400 :
                500;
            final Answer answer = error(status, ex.code(), null, ex.getMessage());
            return status == 503 ? answer.with("Retry-After", "5") : answer;
        } catch (final MemoryException ex) {
            return error(500, ErrorCode.MEMORY, null, ex.getMessage());
        } catch (final RuntimeException ex) {
            return error(500, ErrorCode.INTERNAL, null, "the daemon failed to answer: " + ex);
        }
    }

    private Answer route(final String method, final String path, final Map<String, String> query, final String body) {
        if ("/metrics".equals(path)) {
            allow(method, "GET");
            return Answer.of(200, DaemonMetrics.CONTENT_TYPE, metrics.scrape());
        }
        if ("/v1/daemon".equals(path)) {
            allow(method, "GET");
            return ok(200, describe());
        }
        if ("/v1/shutdown".equals(path)) {
            allow(method, "POST");
            daemon.shutdown("asked through the control API");
            return ok(202, describe());
        }
        if (GUESTS.equals(path)) {
            allow(method, "GET", "POST");
            return "POST".equals(method) ? ok(201, prepare(parse(body))) : ok(200, guests());
        }
        if (path.startsWith(GUESTS + "/")) {
            allow(method, "DELETE");
            directory().delete(path.substring(GUESTS.length() + 1));
            return Answer.of(204, JSON, "");
        }
        if (MIGRATIONS.equals(path)) {
            allow(method, "GET", "POST");
            if ("POST".equals(method)) {
                final TrackedMigration started = daemon.submit(SendRequest.parse(parse(body)));
                return ok(201, started.toJson(JSON_MAPPER)).with("Location", MIGRATIONS + "/" + started.id());
            }
            return ok(200, list(query));
        }
        if (path.startsWith(MIGRATIONS + "/")) {
            return migration(method, path.substring(MIGRATIONS.length() + 1), body);
        }
        throw ApiException.notFound("no such path: " + path + " (the API is under /v1; see docs/openapi.yaml)");
    }

    private Answer migration(final String method, final String rest, final String body) {
        final boolean switchover = rest.endsWith("/switchover");
        final String id = switchover ? rest.substring(0, rest.length() - "/switchover".length()) : rest;
        if (id.contains("/")) {
            throw ApiException.notFound("no such path: " + MIGRATIONS + "/" + rest);
        }
        if (switchover) {
            allow(method, "POST");
            final MigrationSource source = runningSource(daemon.get(id), "forced to switch over");
            source.forceSwitchover();
            return ok(202, daemon.get(id).toJson(JSON_MAPPER));
        }
        allow(method, "GET", "PATCH", "DELETE");
        final TrackedMigration tracked = daemon.get(id);
        if ("DELETE".equals(method)) {
            if (!tracked.cancel("cancelled through the control API")) {
                throw ApiException.conflict("migration " + id + " has ended (" + tracked.state() + "): nothing to cancel");
            }
            return ok(202, tracked.toJson(JSON_MAPPER));
        }
        if ("PATCH".equals(method)) {
            patch(runningSource(tracked, "changed live"), parse(body));
        }
        return ok(200, tracked.toJson(JSON_MAPPER));
    }

    /** Applies a PATCH's fields (only {@link SendRequest#LIVE_FIELDS}), all checked before any is applied. */
    private static void patch(final MigrationSource source, final JsonNode body) {
        if (!body.isObject() || body.size() == 0) {
            throw ApiException.badField("body", "expected a JSON object with downtime-limit, max-bandwidth or both");
        }
        final MigrationSource.Context checked = new MigrationSource.Context();
        for (final Iterator<Map.Entry<String, JsonNode>> it = body.fields(); it.hasNext();) {
            final Map.Entry<String, JsonNode> field = it.next();
            if (!SendRequest.LIVE_FIELDS.contains(field.getKey())) {
                throw ApiException.badField(field.getKey(), "cannot change live; a running migration takes " +
                    String.join(" and ", SendRequest.LIVE_FIELDS.stream().sorted().toList()));
            }
            final Consumer<MigrationSource.Context> option = SendRequest.option(field.getKey(), field.getValue());
            option.accept(checked);
        }
        if (body.has("downtime-limit")) {
            source.downtimeLimitMs(checked.downtimeLimitMs());
        }
        if (body.has("max-bandwidth")) {
            source.maxBandwidthBytesPerSec(checked.maxBandwidthBytesPerSec());
        }
    }

    /** The running source of {@code tracked}, or a 409 saying why it cannot be {@code what}. */
    private static MigrationSource runningSource(final TrackedMigration tracked, final String what) {
        if (!tracked.isSource()) {
            throw ApiException.conflict("migration " + tracked.id() + " is incoming: only its source can be " + what);
        }
        final MigrationSource source = tracked.source();
        if (tracked.isEnded() || null == source) {
            throw ApiException.conflict("migration " + tracked.id() + " is " + tracked.state() + ": only a running " +
                "migration can be " + what);
        }
        return source;
    }

    private ArrayNode list(final Map<String, String> query) {
        final String state = query.get("state");
        final String role = query.get("role");
        for (final String key : query.keySet()) {
            if (!"state".equals(key) && !"role".equals(key)) {
                throw ApiException.badField(key, "unknown query parameter; known: state, role");
            }
        }
        if (null != role && !"source".equals(role) && !"destination".equals(role)) {
            throw ApiException.badField("role", "'" + role + "': expected source or destination");
        }
        final Predicate<TrackedMigration> byRole = tracked -> null == role || role.equals(tracked.role());
        final ArrayNode array = JSON_MAPPER.createArrayNode();
        for (final TrackedMigration tracked : daemon.list(byRole.and(state(state)))) {
            array.add(tracked.toJson(JSON_MAPPER));
        }
        return array;
    }

    /** {@code running} (any state between queued and the end), {@code ended}, or one state exactly. */
    private static Predicate<TrackedMigration> state(final String state) {
        if (null == state) {
            return tracked -> true;
        }
        final Set<String> known = new java.util.TreeSet<>(Set.of(TrackedMigration.QUEUED, "running", "ended"));
        for (final MigrationStatus status : MigrationStatus.values()) {
            known.add(status.jsonName());
        }
        if (!known.contains(state)) {
            throw ApiException.badField("state", "'" + state + "': expected one of " + String.join(", ", known));
        }
        return switch (state) {
            case "running" -> tracked -> {
                final MigrationStatus now = MigrationStatus.ofJsonName(tracked.state());
                return null != now && !now.isEnded();
            };
            case "ended" -> TrackedMigration::isEnded;
            default -> tracked -> state.equals(tracked.state());
        };
    }

    private ArrayNode guests() {
        final ArrayNode array = JSON_MAPPER.createArrayNode();
        for (final GuestDirectory.Guest guest : directory().list()) {
            final ObjectNode node = array.addObject();
            node.put("name", guest.name());
            node.put("size-bytes", guest.sizeBytes());
            node.put("modified", guest.modified().toString());
            if (null == guest.received()) {
                node.putNull("verified");
                node.putNull("received");
            } else {
                node.put("verified", guest.received().verified());
                node.put("received", guest.received().at().toString());
            }
        }
        return array;
    }

    /** {@code POST /v1/guests}: {"name", "size", "prefault"}, a guest prepared ahead of its migration. */
    private ObjectNode prepare(final JsonNode body) {
        if (daemon.isDraining()) {
            throw new FerryException(ErrorCode.RUNTIME_BUSY, "the daemon is draining: it prepares no guest");
        }
        if (!body.isObject()) {
            throw ApiException.badField("body", "expected a JSON object such as {\"name\": \"vm-7\", \"size\": " +
                "\"2g\", \"prefault\": true}");
        }
        for (final Iterator<String> it = body.fieldNames(); it.hasNext();) {
            final String field = it.next();
            if (!Set.of("name", "size", "prefault").contains(field)) {
                throw ApiException.badField(field, "unknown field; known: name, size, prefault");
            }
        }
        if (!body.has("name") || !body.path("name").isTextual()) {
            throw ApiException.badField("name", body.has("name") ? "expected a string, got " + body.get("name") :
                "missing: a guest name is required");
        }
        if (!body.has("size")) {
            throw ApiException.badField("size", "missing: the guest's size is required, such as \"2g\"");
        }
        final long bytes = SendRequest.size("size", body.get("size"));
        final JsonNode prefault = body.path("prefault");
        if (!prefault.isMissingNode() && !prefault.isBoolean()) {
            throw ApiException.badField("prefault", "expected true or false, got " + prefault);
        }
        final GuestDirectory.Prepared prepared = directory().prepare(body.get("name").asText(), bytes,
            prefault.asBoolean(false));
        final ObjectNode node = JSON_MAPPER.createObjectNode();
        node.put("name", prepared.name());
        node.put("size-bytes", prepared.sizeBytes());
        node.put("prefaulted", prepared.prefaulted());
        node.put("prepare-ms", prepared.prepareMs());
        return node;
    }

    private GuestDirectory directory() {
        if (null == daemon.guests()) {
            throw ApiException.notFound("this daemon takes no incoming migration (started without --listen): " +
                "it has no guests");
        }
        return daemon.guests();
    }

    private ObjectNode describe() {
        final ObjectNode node = JSON_MAPPER.createObjectNode();
        node.put("state", daemon.isDraining() ? (daemon.stopped().isDone() ? "stopped" : "draining") : "running");
        node.put("listen", null == daemon.localAddress() ? null : Units.describe(daemon.localAddress()));
        node.put("data-dir", null == daemon.guests() ? null : daemon.guests().directory().toString());
        node.put("max-incoming", daemon.settings().maxIncoming());
        node.put("max-outgoing", daemon.settings().maxOutgoing());
        node.put("host-bandwidth-bytes-per-sec", daemon.runtime().bandwidthBudget().bytesPerSec());
        node.put("incoming-running", daemon.runtime().incomingRunning());
        node.put("outgoing-running", daemon.runtime().outgoingRunning());
        node.put("queued", daemon.list(tracked -> TrackedMigration.QUEUED.equals(tracked.state())).size());
        return node;
    }

    private JsonNode parse(final String body) {
        if (null == body || body.isBlank()) {
            throw ApiException.badField("body", "missing: expected a JSON object");
        }
        try {
            return JSON_MAPPER.readTree(body);
        } catch (final JsonProcessingException ex) {
            throw ApiException.badField("body", "not valid JSON: " + ex.getOriginalMessage());
        }
    }

    private static void allow(final String method, final String... allowed) {
        for (final String one : allowed) {
            if (one.equals(method)) {
                return;
            }
        }
        throw new ApiException(405, ErrorCode.CONFIGURATION, null, method + " is not allowed here; allowed: " +
            String.join(", ", allowed)).allow(String.join(", ", allowed));
    }

    private static Answer ok(final int status, final JsonNode body) {
        try {
            return Answer.of(status, JSON, JSON_MAPPER.writeValueAsString(body) + "\n");
        } catch (final JsonProcessingException ex) {
            throw new IllegalStateException(ex);
        }
    }

    /** The error object: {@code {"status", "error-code", "error-id", "field", "message"}}. */
    static Answer error(final int status, final ErrorCode code, final String field, final String message) {
        final ObjectNode node = JSON_MAPPER.createObjectNode();
        node.put("status", status);
        node.put("error-code", code.name());
        node.put("error-id", code.id());
        if (null != field) {
            node.put("field", field);
        }
        node.put("message", message);
        return ok(status, node);
    }
}
