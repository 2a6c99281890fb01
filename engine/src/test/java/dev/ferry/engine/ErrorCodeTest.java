package dev.ferry.engine;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Error codes are a contract: their numbers, names and categories are those of docs/protocol.md's table, row for
 * row, and an unknown number reads as REMOTE_ERROR.
 */
final class ErrorCodeTest {
    @Test
    void everyCodeIsTheProtocolDocsRow() throws Exception {
        final String doc = Files.readString(Path.of("../docs/protocol.md"));
        final String table = doc.substring(doc.indexOf("| code | name | category | meaning |"));
        final Matcher row = Pattern.compile("(?m)^\\| (\\d+) \\| ([A-Z_]+) \\| ([a-z]+) \\|")
            .matcher(table.substring(0, table.indexOf("\n\n")));
        final List<String> documented = new ArrayList<>();
        while (row.find()) {
            documented.add(row.group(1) + " " + row.group(2) + " " + row.group(3));
        }
        final List<String> coded = new ArrayList<>();
        for (final ErrorCode code : ErrorCode.values()) {
            if (code != ErrorCode.NONE) {
                coded.add(code.id() + " " + code.name() + " " + code.category());
            }
        }
        assertEquals(coded, documented);
    }

    @Test
    void aNumberThisBuildDoesNotKnowIsARemoteError() {
        assertEquals(ErrorCode.TLS_FAILED, ErrorCode.of(18));
        assertEquals(ErrorCode.DESTINATION_BUSY, ErrorCode.of(19));
        assertEquals(ErrorCode.RUNTIME_BUSY, ErrorCode.of(20));
        assertEquals(ErrorCode.REMOTE_ERROR, ErrorCode.of(21));
        assertEquals(ErrorCode.REMOTE_ERROR, ErrorCode.of(-1));
        assertEquals(ErrorCode.REMOTE_ERROR, ErrorCode.of(1 << 20));
    }
}
