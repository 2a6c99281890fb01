package dev.ferry.engine.daemon;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ferry.engine.Compression;
import dev.ferry.engine.FerryException;
import dev.ferry.engine.GuestName;
import dev.ferry.engine.MigrationSource;
import dev.ferry.engine.VerifyMode;
import dev.ferry.engine.text.Units;
import dev.ferry.memory.BlockSpec;
import dev.ferry.memory.GuestMemory;
import dev.ferry.memory.MemoryException;
import dev.ferry.memory.RamBlock;
import dev.ferry.memory.internal.MemoryFiles;

import java.net.SocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The body of {@code POST /v1/migrations}: a JSON object whose fields are named as {@code ferry send}'s options and
 * whose values are written as on its command line ({@code "downtime-limit": "300ms"}, {@code "max-bandwidth":
 * "20m/s"}); counts may also be JSON numbers, switches JSON booleans. Every field is read with the command line's
 * own parser ({@link Units}) and checked again by the engine's Context; the first one that is wrong, unknown or
 * missing is a 400 that names it.
 */
final class SendRequest {
    /** The fields {@code PATCH /v1/migrations/{id}} takes: what a running source changes live. */
    static final Set<String> LIVE_FIELDS = Set.of("downtime-limit", "max-bandwidth");

    private static final Map<String, Setter> OPTIONS = Map.ofEntries(
        Map.entry("channels", (c, v) -> c.channels(count(v))),
        Map.entry("max-rounds", (c, v) -> c.maxRounds(count(v))),
        Map.entry("switchover-dirty", (c, v) -> c.switchoverDirtyBytes(size(v))),
        Map.entry("downtime-limit", (c, v) -> c.downtimeLimitMs(duration(v))),
        Map.entry("auto-converge", (c, v) -> c.autoConverge(bool(v))),
        Map.entry("max-bandwidth", (c, v) -> c.maxBandwidthBytesPerSec(rate(v))),
        Map.entry("compress", (c, v) -> c.compression(codec(v))),
        Map.entry("compression", (c, v) -> c.compression(codec(v))),
        Map.entry("compress-level", (c, v) -> c.compressionLevel(count(v))),
        Map.entry("compression-level", (c, v) -> c.compressionLevel(count(v))),
        Map.entry("timeout", (c, v) -> c.timeoutMs(duration(v))),
        Map.entry("connect-timeout", (c, v) -> c.connectTimeoutMs(duration(v))),
        Map.entry("barrier-timeout", (c, v) -> c.barrierTimeoutMs(duration(v))),
        Map.entry("verify", (c, v) -> c.verify(verify(v))),
        Map.entry("bandwidth-weight", (c, v) -> c.bandwidthWeight(count(v))));
    private static final Set<String> REQUIRED = Set.of("connect", "memory-file");

    private final SocketAddress connect;
    private final Path memoryFile;
    private final String name;
    private final List<Consumer<MigrationSource.Context>> options;

    private SendRequest(final SocketAddress connect, final Path memoryFile, final String name,
        final List<Consumer<MigrationSource.Context>> options) {
        this.connect = connect;
        this.memoryFile = memoryFile;
        this.name = name;
        this.options = options;
    }

    /** Every field {@code POST /v1/migrations} takes, sorted: for the error that names an unknown one. */
    static Set<String> fields() {
        final Set<String> all = new TreeSet<>(OPTIONS.keySet());
        all.addAll(List.of("connect", "memory-file", "name"));
        return all;
    }

    /** Reads {@code body}: a 400 naming the first field that is unknown, missing or wrong. */
    static SendRequest parse(final JsonNode body) {
        if (null == body || !body.isObject()) {
            throw ApiException.badField("body", "expected a JSON object such as {\"connect\": \"HOST:PORT\", " +
                "\"memory-file\": \"/path\", \"name\": \"NAME\"}");
        }
        for (final String required : REQUIRED) {
            if (!body.has(required) || body.get(required).isNull()) {
                throw ApiException.badField(required, "missing: it is required");
            }
        }
        final SocketAddress connect = read("connect", body.get("connect"), Units::parseAddress);
        final Path memoryFile = read("memory-file", body.get("memory-file"), Path::of);
        if (!memoryFile.isAbsolute()) {
            throw ApiException.badField("memory-file", "'" + memoryFile + "' is relative: the daemon reads files by " +
                "absolute path (its working directory is not the caller's)");
        }
        final String name = body.has("name") ? read("name", body.get("name"), text -> text) :
            String.valueOf(memoryFile.getFileName());
        final String problem = GuestName.problem(name);
        if (null != problem) {
            throw ApiException.badField("name", problem);
        }
        final List<Consumer<MigrationSource.Context>> options = new ArrayList<>();
        for (final Iterator<Map.Entry<String, JsonNode>> it = body.fields(); it.hasNext();) {
            final Map.Entry<String, JsonNode> field = it.next();
            final String key = field.getKey();
            if (REQUIRED.contains(key) || "name".equals(key)) {
                continue;
            }
            options.add(option(key, field.getValue()));
        }
        return new SendRequest(connect, memoryFile, name, options);
    }

    /** One option of a POST or a PATCH: unknown is a 400 that lists the known ones; its value is checked now. */
    static Consumer<MigrationSource.Context> option(final String key, final JsonNode value) {
        final Setter setter = OPTIONS.get(key);
        if (null == setter) {
            throw ApiException.badField(key, "unknown field; known: " + String.join(", ", fields()));
        }
        if (null == value || value.isNull() || value.isContainerNode()) {
            throw ApiException.badField(key, "expected a value as on the command line, got " + value);
        }
        final MigrationSource.Context probe = new MigrationSource.Context();
        try {
            setter.set(probe, value);
        } catch (final IllegalArgumentException ex) {
            throw ApiException.badField(key, "invalid value " + value + ": expected " + ex.getMessage());
        } catch (final FerryException ex) {
            throw ApiException.badField(key, "invalid value " + value + ": " + ex.getMessage());
        }
        return context -> setter.set(context, value);
    }

    private static <T> T read(final String key, final JsonNode value, final Function<String, T> parser) {
        if (!value.isTextual()) {
            throw ApiException.badField(key, "expected a string, got " + value);
        }
        try {
            return parser.apply(value.asText());
        } catch (final IllegalArgumentException ex) {
            throw ApiException.badField(key, "invalid value " + value + ": expected " + ex.getMessage());
        }
    }

    SocketAddress connect() {
        return connect;
    }

    Path memoryFile() {
        return memoryFile;
    }

    String name() {
        return name;
    }

    /** The memory file mapped, after the checks a local send makes: a regular file (no link), of whole pages. */
    GuestMemory mapMemory() {
        try {
            final long size = MemoryFiles.guestFileSize(memoryFile, "memory-file", RamBlock.DEFAULT_PAGE_SIZE);
            return GuestMemory.mapFile(memoryFile, List.of(new BlockSpec(0, "ram", size)), RamBlock.DEFAULT_PAGE_SIZE);
        } catch (final MemoryException ex) {
            throw ApiException.badField("memory-file", ex.getMessage());
        }
    }

    /** The options on a fresh Context for {@code name}, sending to {@code connect}; the rest is the daemon's. */
    MigrationSource.Context context() {
        final MigrationSource.Context context = new MigrationSource.Context().destination(connect).name(name);
        options.forEach(option -> option.accept(context));
        return context;
    }

    private static String text(final JsonNode value) {
        if (value.isTextual() || value.isNumber()) {
            return value.asText();
        }
        throw new IllegalArgumentException("a string as on the command line");
    }

    private static int count(final JsonNode value) {
        if (value.isIntegralNumber() && value.canConvertToInt()) {
            return value.intValue();
        }
        try {
            return Integer.parseInt(text(value).trim());
        } catch (final NumberFormatException ex) {
            throw new IllegalArgumentException("a whole number");
        }
    }

    /** A size field written as on the command line (or a number of bytes): a 400 naming {@code key} if it is not. */
    static long size(final String key, final JsonNode value) {
        try {
            return size(value);
        } catch (final IllegalArgumentException ex) {
            throw ApiException.badField(key, "invalid value " + value + ": expected " + ex.getMessage());
        }
    }

    private static long size(final JsonNode value) {
        return value.isIntegralNumber() && value.canConvertToLong() && value.longValue() >= 0 ? value.longValue() :
            Units.parseSize(text(value));
    }

    private static long duration(final JsonNode value) {
        return Units.parseDurationMs(text(value));
    }

    private static long rate(final JsonNode value) {
        return value.isIntegralNumber() && value.longValue() == 0 ? 0 : Units.parseRate(text(value));
    }

    private static boolean bool(final JsonNode value) {
        if (!value.isBoolean()) {
            throw new IllegalArgumentException("true or false");
        }
        return value.booleanValue();
    }

    private static Compression codec(final JsonNode value) {
        try {
            return Compression.parse(text(value).trim());
        } catch (final FerryException ex) {
            throw new IllegalArgumentException("none, zstd or zlib");
        }
    }

    private static VerifyMode verify(final JsonNode value) {
        try {
            return VerifyMode.parse(text(value).trim());
        } catch (final FerryException ex) {
            throw new IllegalArgumentException("full or none");
        }
    }

    /** Sets one option on a Context: throws what was expected when the value does not read. */
    @FunctionalInterface
    private interface Setter {
        void set(MigrationSource.Context context, JsonNode value);
    }
}
