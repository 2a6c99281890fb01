package dev.ferry.engine.daemon;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The contract check has teeth: an answer the file does not document, or a body off its schema, fails it. */
final class OpenApiContractTest {
    @Test
    void undocumentedStatusesAndBodiesOffTheSchemaFail() throws Exception {
        final OpenApiContract contract = OpenApiContract.ofRepository();
        assertThrows(AssertionError.class, () -> contract.check("GET", "/v1/daemon", 418, "{}"));
        assertThrows(AssertionError.class, () -> contract.check("GET", "/v1/daemon", 200, "{\"state\": \"running\"}"));
        assertThrows(AssertionError.class, () -> contract.check("GET", "/v1/migrations", 200, "[{\"id\": 7}]"));
        assertThrows(AssertionError.class, () -> contract.check("GET", "/v1/guests", 200, "[{\"name\": \"x\", " +
            "\"size-bytes\": 1, \"modified\": \"now\", \"verified\": null, \"received\": null, \"extra\": 1}]"));
        assertThrows(AssertionError.class, () -> contract.check("GET", "/v2/anything", 200, "{}"));
        contract.check("POST", "/v1/migrations", 400, "{\"status\": 400, \"error-code\": \"CONFIGURATION\", " +
            "\"error-id\": 1, \"field\": \"name\", \"message\": \"name: bad\"}");
        assertTrue(contract.unseen().contains("GET /v1/daemon 200"), "only what passed counts as seen");
    }
}
