package dev.ferry.bench.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ferry.engine.MigrationStatus;
import dev.ferry.engine.daemon.ControlClient;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code e2e --daemon}: migrations through two running daemons ({@code ferry daemon} through the launcher, one per
 * side, driven by their control API), against the one-shot CLI ({@code send} and {@code receive} in fresh JVMs)
 * and the raw N-socket baseline, interleaved in each run:
 * <ul>
 * <li>a 2 GiB random guest into a prefaulted destination ({@code POST /v1/guests} prepares it before the source
 * connects, as {@code receive --ram --prefault} does): setup, transfer, verification and total, and the transfer
 * against raw into the same prefaulted memory;</li>
 * <li>2 GiB of zeros into a fresh destination: the same figures;</li>
 * <li>a host evacuation: 8 guests of 256 MiB sent by one API call each, at once, through {@code --max-outgoing 4}:
 * all verified, never more than 4 running (the queue), the total time against the same 8 one after another.</li>
 * </ul>
 * The daemons' first migration of each kind (cold code) is reported apart; medians of {@code --runs} of the later
 * ones (the 2nd to 6th with the default 5). results.json in --out.
 */
final class DaemonRuns {
    private static final int CHANNELS = 2;
    /**
     * JVM options for the two daemons alone (after the launcher's, so they win): FERRY_DAEMON_JAVA_OPTS, for example
     * {@code -XX:TieredStopAtLevel=4} to run them with C2 against a one-shot CLI with the launcher's C1.
     */
    private static final String DAEMON_JAVA_OPTS = System.getenv().getOrDefault("FERRY_DAEMON_JAVA_OPTS", "");
    private static final int MAX_OUTGOING = 4;
    private static final int EVACUATED = 8;
    private static final long EVACUATED_BYTES = 256L << 20;

    private final MigrationBenchmark.Options options;
    private final Path work;
    private final Participants participants;
    private final ObjectMapper json = new ObjectMapper();
    private int serial;

    DaemonRuns(final MigrationBenchmark.Options options, final Path work) throws Exception {
        this.options = options;
        this.work = work;
        this.participants = new Participants(work, options.ferryJar);
    }

    void run() throws Exception {
        final long size = options.sizeBytes;
        System.out.println("making a random and a zero guest of " + (size >> 20) + " MiB and " + EVACUATED +
            " of 256 MiB ...");
        final Path random = MigrationBenchmark.source(work, "random", size);
        final Path zeros = MigrationBenchmark.source(work, "zeros", size);
        final List<Path> evacuated = new ArrayList<>();
        for (int i = 0; i < EVACUATED; i++) {
            evacuated.add(ManyRuns.randomGuest(work, "evacuated-" + i, EVACUATED_BYTES, 200 + i));
        }
        final Path secret = MigrationBenchmark.secret(work);
        final Path data = privateDirectory("data");
        final Path control = privateDirectory("control");
        final Path counters = work.resolve("counters");
        final Path destinationLog = work.resolve("daemon-destination.log");
        final Path sourceLog = work.resolve("daemon-source.log");
        final Process destination = Runs.ferry(options.ferryJar, destinationLog, List.of("daemon", "--listen",
            "127.0.0.1:" + Runs.freePort(), "--data-dir", data.toString(), "--secret-file", secret.toString(),
            "--control", "unix:" + control.resolve("destination.sock"), "--counters-dir", counters.toString()), true,
            DAEMON_JAVA_OPTS);
        final Process source = Runs.ferry(options.ferryJar, sourceLog, List.of("daemon", "--secret-file",
            secret.toString(), "--control", "unix:" + control.resolve("source.sock"), "--counters-dir",
            counters.toString(), "--max-outgoing", Integer.toString(MAX_OUTGOING)), true, DAEMON_JAVA_OPTS);
        try (ControlClient to = awaitDaemon(destinationLog, destination, control.resolve("destination.sock"));
             ControlClient from = awaitDaemon(sourceLog, source, control.resolve("source.sock"))) {
            final String address = Files.readString(destinationLog).replaceAll("(?s).*listening on (\\S+?),.*", "$1");
            final Map<String, List<Double>> series = new LinkedHashMap<>();
            for (int run = 0; run <= options.runs; run++) {
                oneRun(series, run, new Guests(from, to, address, random, zeros, evacuated));
            }
            report(series);
        } finally {
            source.destroy();
            destination.destroy();
            source.waitFor();
            destination.waitFor();
        }
    }

    /** The two daemons' clients, the destination's address and the guests. */
    private record Guests(ControlClient from, ControlClient to, String address, Path random, Path zeros,
        List<Path> evacuated) {
    }

    /** Run {@code run} (0: the daemons' cold first migrations, reported apart) into {@code series}. */
    private void oneRun(final Map<String, List<Double>> series, final int run, final Guests guests) throws Exception {
        final long size = options.sizeBytes;
        final JsonNode warm = migrate(guests.from(), guests.to(), guests.address(), guests.random(), size, true);
        final JsonNode zero = migrate(guests.from(), guests.to(), guests.address(), guests.zeros(), size, false);
        if (run == 0) {
            record(series, "first (cold) daemon random prefaulted", warm);
            record(series, "first (cold) daemon zeros", zero);
            System.out.println("the daemons' first migrations (cold) done");
            return;
        }
        record(series, "daemon random prefaulted", warm);
        record(series, "daemon zeros", zero);
        final Participants.FerryRun oneShot = participants.ferry(guests.random(), size, "prefault", CHANNELS, false);
        final Participants.FerryRun oneShotZeros = participants.ferry(guests.zeros(), size, "fresh", CHANNELS, false);
        record(series, "one-shot CLI random prefaulted", oneShot);
        record(series, "one-shot CLI zeros", oneShotZeros);
        final double raw = participants.raw(guests.random(), size, "prefault", CHANNELS, false);
        add(series, "raw prefault transfer s", raw);
        add(series, "daemon transfer vs raw (x raw speed)", raw / (ms(warm, "transfer-time-ms") / 1e3));
        final double[] evacuation = evacuate(guests.from(), guests.to(), guests.address(), guests.evacuated());
        add(series, "evacuation 8 x 256 MiB at once, max-outgoing 4: total s", evacuation[0]);
        add(series, "evacuation: most running at once", evacuation[1]);
        add(series, "the same 8 one after another: total s", evacuation[2]);
        add(series, "evacuation at once vs one after another (x faster)", evacuation[2] / evacuation[0]);
        System.out.printf(Locale.ROOT, "run %d: daemon random setup %d ms transfer %d ms total %d ms; zeros " +
            "total %d ms; one-shot random total %.0f ms, zeros %.0f ms; raw %.2f s; evacuation %.2f s (at " +
            "most %.0f at once) vs %.2f s%n", run, (long)ms(warm, "setup-time-ms"),
            (long)ms(warm, "transfer-time-ms"), (long)ms(warm, "total-time-ms"),
            (long)ms(zero, "total-time-ms"), oneShot.total() * 1e3, oneShotZeros.total() * 1e3, raw,
            evacuation[0], evacuation[1], evacuation[2]);
    }

    private void report(final Map<String, List<Double>> series) throws Exception {
        final Map<String, Double> medians = new LinkedHashMap<>();
        series.forEach((name, values) -> medians.put(name, Runs.median(values.stream().mapToDouble(v -> v)
            .toArray())));
        System.out.println();
        medians.forEach((name, value) -> System.out.printf(Locale.ROOT, "%-70s %10.3f%n", name, value));
        final StringBuilder out = new StringBuilder("{\n");
        Runs.jsonEntry(out, "daemon", medians);
        Runs.writeJson(out, options.out.resolve("results.json"));
    }

    private Path privateDirectory(final String name) throws Exception {
        final Path directory = Files.createDirectories(work.resolve(name));
        Files.setPosixFilePermissions(directory, PosixFilePermissions.fromString("rwx------"));
        return directory;
    }

    private static ControlClient awaitDaemon(final Path log, final Process process, final Path socket)
        throws Exception {
        Runs.awaitLine(log, "daemon running", process);
        return ControlClient.of(socket);
    }

    /** One migration through the daemons (into a prepared, prefaulted guest if asked); the source's JSON. */
    private JsonNode migrate(final ControlClient from, final ControlClient to, final String address,
        final Path file, final long size, final boolean prefault) throws Exception {
        final String name = "guest-" + ++serial;
        if (prefault) {
            expect(201, to.request("POST", "/v1/guests", "{\"name\": \"" + name + "\", \"size\": " + size +
                ", \"prefault\": true}"));
        }
        final JsonNode ended = awaitEnded(from, post(from, address, file, name));
        if (!"completed".equals(ended.path("state").asText()) || !ended.path("verified").asBoolean()) {
            throw new IllegalStateException("not verified: " + ended);
        }
        deleteGuest(to, name);
        return ended;
    }

    private String post(final ControlClient from, final String address, final Path file, final String name)
        throws Exception {
        return expect(201, from.request("POST", "/v1/migrations", "{\"connect\": \"" + address + "\", " +
            "\"memory-file\": \"" + file.toAbsolutePath() + "\", \"name\": \"" + name + "\", \"channels\": " +
            CHANNELS + "}")).get("id").asText();
    }

    /** 8 at once (one POST each), then one after another: {total s, most running at once, total s}. */
    private double[] evacuate(final ControlClient from, final ControlClient to, final String address,
        final List<Path> guests) throws Exception {
        final List<String> names = new ArrayList<>();
        final List<String> ids = new ArrayList<>();
        final long startNs = System.nanoTime();
        for (final Path guest : guests) {
            final String name = "evacuated-" + ++serial;
            names.add(name);
            ids.add(post(from, address, guest, name));
        }
        int most = 0;
        boolean all = false;
        while (!all) {
            most = Math.max(most, expect(200, from.request("GET", "/v1/daemon", null)).get("outgoing-running")
                .asInt());
            all = true;
            for (final String id : ids) {
                all &= MigrationStatus.isEndedJsonName(expect(200, from.request("GET", "/v1/migrations/" + id,
                    null)).get("state").asText());
            }
            Thread.sleep(all ? 0 : 10);
        }
        final double atOnce = (System.nanoTime() - startNs) / 1e9;
        for (final String id : ids) {
            requireVerified(expect(200, from.request("GET", "/v1/migrations/" + id, null)));
        }
        if (most > MAX_OUTGOING) {
            throw new IllegalStateException(most + " ran at once, past --max-outgoing " + MAX_OUTGOING);
        }
        for (final String name : names) {
            deleteGuest(to, name);
        }
        final long sequentialNs = System.nanoTime();
        for (final Path guest : guests) {
            final String name = "evacuated-" + ++serial;
            requireVerified(awaitEnded(from, post(from, address, guest, name)));
            deleteGuest(to, name);
        }
        return new double[] {atOnce, most, (System.nanoTime() - sequentialNs) / 1e9};
    }

    /** Deletes a received guest, once the destination has seen its migration end (a moment after the source). */
    private void deleteGuest(final ControlClient to, final String name) throws Exception {
        for (int attempt = 0; attempt < 200; attempt++) {
            final ControlClient.Answer answer = to.request("DELETE", "/v1/guests/" + name, null);
            if (answer.status() != 409) {
                expect(204, answer);
                return;
            }
            Thread.sleep(10);
        }
        throw new IllegalStateException("the destination still receives " + name);
    }

    private static void requireVerified(final JsonNode ended) {
        if (!"completed".equals(ended.path("state").asText()) || !ended.path("verified").asBoolean()) {
            throw new IllegalStateException("not verified: " + ended);
        }
    }

    private JsonNode awaitEnded(final ControlClient from, final String id) throws Exception {
        while (true) {
            final JsonNode now = expect(200, from.request("GET", "/v1/migrations/" + id, null));
            if (MigrationStatus.isEndedJsonName(now.path("state").asText())) {
                return now;
            }
            Thread.sleep(5);
        }
    }

    private JsonNode expect(final int status, final ControlClient.Answer answer) throws Exception {
        if (answer.status() != status) {
            throw new IllegalStateException("expected " + status + ", the daemon answered " + answer.status() + ": " +
                answer.body());
        }
        return answer.body().isEmpty() ? null : json.readTree(answer.body());
    }

    private static double ms(final JsonNode stats, final String key) {
        return stats.path(key).asDouble();
    }

    private static void record(final Map<String, List<Double>> series, final String name, final JsonNode stats) {
        for (final String key : List.of("setup-time-ms", "transfer-time-ms", "verify-time-ms", "total-time-ms")) {
            add(series, name + " " + key.replace("-time-ms", "") + " ms", ms(stats, key));
        }
    }

    private static void record(final Map<String, List<Double>> series, final String name,
        final Participants.FerryRun run) {
        add(series, name + " setup ms", run.setup() * 1e3);
        add(series, name + " transfer ms", run.transfer() * 1e3);
        add(series, name + " verify ms", run.verify() * 1e3);
        add(series, name + " total ms", run.total() * 1e3);
    }

    private static void add(final Map<String, List<Double>> series, final String name, final double value) {
        series.computeIfAbsent(name, key -> new ArrayList<>()).add(value);
    }
}
