package dev.ferry.bench.e2e;

import dev.ferry.memory.internal.MemoryFiles;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Processes, waits and figures for the end-to-end benchmark. */
final class Runs {
    private static final long PROCESS_TIMEOUT_S = 600;

    private Runs() {
    }

    /** The java of this JVM running {@code args}, standard output and error into {@code log}. */
    static Process java(final Path log, final List<String> args) throws IOException {
        final List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
            .toString(), "--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED"));
        command.addAll(args);
        return start(log, command);
    }

    /**
     * Ferry's CLI of {@code jar} running {@code args}: through the launcher beside the jar ({@code engine/target/ferry},
     * the JVM options and class-data archive the README's command uses) when there is one and {@code launcher} is
     * asked for; otherwise {@code java -jar} (an older build, or --also-java-jar's comparison).
     */
    static Process ferry(final Path jar, final Path log, final List<String> args, final boolean launcher)
        throws IOException {
        return ferry(jar, log, args, launcher, "");
    }

    /** As {@link #ferry(Path, Path, List, boolean)}, with JVM options (FERRY_JAVA_OPTS for the launcher). */
    static Process ferry(final Path jar, final Path log, final List<String> args, final boolean launcher,
        final String javaOptions) throws IOException {
        final Path script = jar.resolveSibling("ferry");
        if (launcher && Files.isExecutable(script)) {
            final List<String> command = new ArrayList<>(List.of(script.toString()));
            command.addAll(args);
            final ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(log.toFile());
            builder.environment().put("FERRY_JAVA_OPTS", javaOptions);
            return builder.start();
        }
        final List<String> command = new ArrayList<>();
        if (!javaOptions.isBlank()) {
            command.addAll(List.of(javaOptions.trim().split("\\s+")));
        }
        command.addAll(List.of("-jar", jar.toString()));
        command.addAll(args);
        return java(log, command);
    }

    static Process start(final Path log, final List<String> command) throws IOException {
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    /** Waits for {@code process} and fails, with its log, unless it exits 0. */
    static void await(final Process process, final Path log) throws Exception {
        if (!process.waitFor(PROCESS_TIMEOUT_S, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException("a benchmark process did not end within " + PROCESS_TIMEOUT_S + " s: " +
                Files.readString(log));
        }
        if (process.exitValue() != 0) {
            throw new IllegalStateException("a benchmark process exited " + process.exitValue() + ": " +
                Files.readString(log));
        }
    }

    /** Waits until {@code log} holds {@code text}, failing if {@code process} ends first. */
    static void awaitLine(final Path log, final String text, final Process process) throws Exception {
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(PROCESS_TIMEOUT_S);
        while (System.nanoTime() < deadlineNs) {
            if (Files.exists(log) && Files.readString(log).contains(text)) {
                return;
            }
            if (!process.isAlive()) {
                throw new IllegalStateException("ended before '" + text + "': " + Files.readString(log));
            }
            Thread.sleep(10);
        }
        throw new IllegalStateException("no '" + text + "' within " + PROCESS_TIMEOUT_S + " s");
    }

    /** A whole number in a JSON document or a log: {@code "key": N} or {@code key N}. */
    static long number(final String text, final String key) {
        final Matcher matcher = Pattern.compile("\"?" + Pattern.quote(key) + "\"?:? (-?\\d+(?:\\.\\d+)?)")
            .matcher(text);
        if (!matcher.find()) {
            throw new IllegalStateException("no " + key + " in " + text);
        }
        return (long)Double.parseDouble(matcher.group(1));
    }

    static double median(final double[] values) {
        final double[] sorted = values.clone();
        Arrays.sort(sorted);
        final int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    /** The median of each figure over {@code runs}, keys in the order of the first run. */
    static Map<String, Double> medians(final List<Map<String, Double>> runs) {
        final Map<String, Double> medians = new LinkedHashMap<>();
        for (final String key : runs.get(0).keySet()) {
            medians.put(key, median(runs.stream().mapToDouble(r -> r.get(key)).toArray()));
        }
        return medians;
    }

    /** Appends {@code "label": {key: value, ...}} and a comma to a JSON object under construction. */
    static void jsonEntry(final StringBuilder json, final String label, final Map<String, ?> values) {
        json.append("  ").append(quote(label)).append(": {");
        String separator = "";
        for (final Map.Entry<String, ?> entry : values.entrySet()) {
            final Object value = entry.getValue();
            json.append(separator).append(quote(entry.getKey())).append(": ")
                .append(value instanceof Number ? value.toString() : quote(String.valueOf(value)));
            separator = ", ";
        }
        json.append("},\n");
    }

    private static String quote(final String text) {
        return "\"" + text.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    /** Closes a JSON object of {@link #jsonEntry} entries and writes it to {@code file}. */
    static void writeJson(final StringBuilder json, final Path file) throws IOException {
        json.setLength(json.length() - 2);
        Files.createDirectories(file.getParent());
        Files.writeString(file, json.append("\n}\n").toString());
    }

    static double min(final double[] values) {
        return Arrays.stream(values).min().orElse(Double.NaN);
    }

    static double max(final double[] values) {
        return Arrays.stream(values).max().orElse(Double.NaN);
    }

    /**
     * One migration with the CLI in two fresh JVMs ({@code receive} into {@code work}/destination.ram, then
     * {@code send} of {@code source} with {@code flags}) using {@code jar}; returns both sides' JSON.
     */
    static Sides cliMigration(final Path jar, final Path work, final Path source, final Path secret,
        final List<String> flags) throws Exception {
        return cliMigration(jar, work, source, secret, flags, List.of(), List.of());
    }

    /** As above, with {@code receiveFlags} for {@code receive} and {@code sendFlags} added to {@code flags}. */
    static Sides cliMigration(final Path jar, final Path work, final Path source, final Path secret,
        final List<String> flags, final List<String> receiveFlags, final List<String> sendFlags) throws Exception {
        return cliMigration(jar, work, source, secret, flags, receiveFlags, sendFlags, "");
    }

    /** As above, both sides run with {@code javaOptions}. */
    static Sides cliMigration(final Path jar, final Path work, final Path source, final Path secret,
        final List<String> flags, final List<String> receiveFlags, final List<String> sendFlags,
        final String javaOptions) throws Exception {
        final Path target = work.resolve("destination.ram");
        final int port = freePort();
        final Path receiveLog = work.resolve("receive.log");
        final List<String> receive = new ArrayList<>(List.of("receive",
            "--listen", "127.0.0.1:" + port, "--memory-file", target.toString(), "--secret-file", secret.toString(),
            "--stats-json", work.resolve("receive.json").toString()));
        receive.addAll(receiveFlags);
        final Process receiver = ferry(jar, receiveLog, receive, true, javaOptions);
        final Path json = work.resolve("send.json");
        try {
            awaitLine(receiveLog, "listening on", receiver);
            final List<String> send = new ArrayList<>(List.of("send",
                "--connect", "127.0.0.1:" + port, "--memory-file", source.toString(), "--secret-file",
                secret.toString(), "--stats-json", json.toString()));
            send.addAll(flags);
            send.addAll(sendFlags);
            final Path sendLog = work.resolve("send.log");
            ferry(jar, sendLog, send, true, javaOptions).waitFor();
            receiver.waitFor();
        } finally {
            receiver.destroyForcibly();
            MemoryFiles.deleteQuietly(target);
        }
        return new Sides(Files.readString(json), Files.readString(work.resolve("receive.json")));
    }

    /** The JSON of each side of one migration. */
    record Sides(String source, String destination) {
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
