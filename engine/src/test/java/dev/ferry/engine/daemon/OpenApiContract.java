package dev.ferry.engine.daemon;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * docs/openapi.yaml as a contract a real daemon's answers are held to: each answer's status must be one the file
 * lists for its path and method, and its body must validate against that response's schema (JSON Schema 2020-12,
 * as OpenAPI 3.1 writes it, by networknt's validator). It also records what it saw, so a test can show that every
 * documented answer was produced at least once.
 */
final class OpenApiContract {
    private static final Set<String> METHODS = Set.of("get", "post", "patch", "delete", "put");

    private final JsonNode spec;
    private final JsonNode components;
    private final SchemaRegistry schemas = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12);
    private final ObjectMapper json = new ObjectMapper();
    private final Set<String> seen = new TreeSet<>();

    OpenApiContract(final Path file) throws IOException {
        this.spec = new ObjectMapper(new YAMLFactory()).readTree(Files.readString(file));
        this.components = spec.get("components");
    }

    /** The repository's docs/openapi.yaml, from the engine module's directory (Maven's working directory). */
    static OpenApiContract ofRepository() throws IOException {
        Path file = Path.of("../docs/openapi.yaml");
        if (!Files.exists(file)) {
            file = Path.of("docs/openapi.yaml");
        }
        return new OpenApiContract(file);
    }

    /** Holds one answer to the contract: its status documented, its body valid. */
    void check(final String method, final String path, final int status, final String body) {
        final String template = template(path);
        final JsonNode operation = spec.get("paths").get(template).get(method.toLowerCase(java.util.Locale.ROOT));
        assertNotNull(operation, method + " " + template + " is not in docs/openapi.yaml");
        JsonNode response = operation.get("responses").get(Integer.toString(status));
        assertNotNull(response, method + " " + path + " answered " + status + ", which docs/openapi.yaml does not " +
            "list for it: " + body);
        response = resolve(response);
        final String answer = method.toUpperCase(java.util.Locale.ROOT) + " " + template + " " + status;
        final JsonNode content = response.get("content");
        if (null == content) {
            assertTrue(body.isEmpty(), method + " " + path + " " + status + " has no body in the contract: " + body);
            seen.add(answer);
            return;
        }
        final JsonNode jsonContent = content.get("application/json");
        if (null == jsonContent) {
            seen.add(answer); // text/plain (the metrics): checked by promtool
            return;
        }
        final ObjectNode schemaNode = ((ObjectNode)jsonContent.get("schema")).deepCopy();
        schemaNode.set("components", components);
        final Schema schema = schemas.getSchema(schemaNode);
        final List<Error> errors;
        try {
            errors = schema.validate(json.readTree(body));
        } catch (final IOException ex) {
            throw new AssertionError(method + " " + path + " " + status + " answered no JSON: " + body, ex);
        }
        assertEquals(List.of(), errors.stream().map(Error::toString).toList(), method + " " + path + " " + status +
            " does not match docs/openapi.yaml: " + body);
        seen.add(answer);
    }

    /** Every documented answer ("METHOD /path status") that {@link #check} never saw. */
    List<String> unseen() {
        final List<String> missing = new ArrayList<>();
        for (final Iterator<Map.Entry<String, JsonNode>> paths = spec.get("paths").fields(); paths.hasNext();) {
            final Map.Entry<String, JsonNode> path = paths.next();
            for (final Iterator<Map.Entry<String, JsonNode>> ops = path.getValue().fields(); ops.hasNext();) {
                final Map.Entry<String, JsonNode> op = ops.next();
                if (!METHODS.contains(op.getKey())) {
                    continue;
                }
                for (final Iterator<String> statuses = op.getValue().get("responses").fieldNames(); statuses.hasNext();) {
                    final String key = op.getKey().toUpperCase(java.util.Locale.ROOT) + " " + path.getKey() + " " +
                        statuses.next();
                    if (!seen.contains(key)) {
                        missing.add(key);
                    }
                }
            }
        }
        return missing;
    }

    private JsonNode resolve(final JsonNode node) {
        final JsonNode ref = node.get("$ref");
        if (null == ref) {
            return node;
        }
        JsonNode target = spec;
        for (final String part : ref.asText().substring(2).split("/")) {
            target = target.get(part);
        }
        return target;
    }

    /** The documented path template {@code path} falls under. */
    private String template(final String path) {
        final String plain = path.contains("?") ? path.substring(0, path.indexOf('?')) : path;
        for (final Iterator<String> it = spec.get("paths").fieldNames(); it.hasNext();) {
            final String template = it.next();
            if (Pattern.matches(template.replaceAll("\\{[^}]+}", "[^/]+"), plain)) {
                return template;
            }
        }
        fail("no path of docs/openapi.yaml matches " + path);
        return null;
    }
}
