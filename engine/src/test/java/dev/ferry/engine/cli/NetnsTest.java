package dev.ferry.engine.cli;

import dev.ferry.memory.BlockSpec;
import dev.ferry.memory.GuestMemory;
import dev.ferry.memory.internal.Fill;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static dev.ferry.engine.cli.CliTest.awaitLine;
import static dev.ferry.engine.cli.CliTest.secretFile;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two real hosts: {@code ferry receive} in one network namespace and {@code ferry send} in another, joined by a veth
 * pair whose both ends delay (5 ms +- 2 ms), lose (0.5%) and reorder (5%) packets with {@code tc netem} (or, on a
 * kernel without netem, limit the rate with {@code tbf}); a 64 MiB
 * guest dirtied while it moves; the two memory files must be equal. Needs root, {@code ip} and {@code tc}: tagged
 * {@code netns}, run with {@code mvn test -Pnetns} (.ci/run does when {@code ip netns} works).
 */
@Tag("netns")
final class NetnsTest {
    private static final String SOURCE_NS = "ferry-src-" + ProcessHandle.current().pid();
    private static final String DESTINATION_NS = "ferry-dst-" + ProcessHandle.current().pid();
    private static final String DESTINATION_IP = "10.77.0.2";

    private static String shaping = "none";

    @TempDir
    Path dir;

    private static void run(final String... command) throws Exception {
        final Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        final String output = new String(process.getInputStream().readAllBytes());
        assertTrue(process.waitFor(30, TimeUnit.SECONDS), String.join(" ", command));
        assertEquals(0, process.exitValue(), String.join(" ", command) + ": " + output);
    }

    @BeforeEach
    void twoHosts() throws Exception {
        run("ip", "netns", "add", SOURCE_NS);
        run("ip", "netns", "add", DESTINATION_NS);
        run("ip", "link", "add", "fsrc0", "netns", SOURCE_NS, "type", "veth", "peer", "name", "fdst0", "netns",
            DESTINATION_NS);
        final String[][] ends = {{SOURCE_NS, "fsrc0", "10.77.0.1"}, {DESTINATION_NS, "fdst0", DESTINATION_IP}};
        for (final String[] end : ends) {
            run("ip", "-n", end[0], "addr", "add", end[2] + "/24", "dev", end[1]);
            run("ip", "-n", end[0], "link", "set", end[1], "up");
            run("ip", "-n", end[0], "link", "set", "lo", "up");
            shape(end[0], end[1]);
        }
    }

    /**
     * netem delay, jitter, loss and reordering on {@code device}; a kernel built without netem (this project's VM:
     * {@code CONFIG_NET_SCH_NETEM} is not set) gets a token bucket at 200 Mbit/s instead, and the test says so.
     */
    private static void shape(final String ns, final String device) throws Exception {
        final Process netem = new ProcessBuilder("ip", "netns", "exec", ns, "tc", "qdisc", "add", "dev", device, "root",
            "netem", "delay", "5ms", "2ms", "loss", "0.5%", "reorder", "5%", "50%").redirectErrorStream(true).start();
        final String output = new String(netem.getInputStream().readAllBytes());
        if (netem.waitFor() == 0) {
            shaping = "netem delay 5ms 2ms loss 0.5% reorder 5% 50%";
            return;
        }
        assertTrue(output.contains("unknown"), output);
        run("ip", "netns", "exec", ns, "tc", "qdisc", "add", "dev", device, "root", "tbf", "rate", "200mbit", "burst",
            "64kb", "latency", "50ms");
        shaping = "tbf rate 200mbit (no netem in this kernel: " + output.trim() + ")";
    }

    @AfterEach
    void tearDown() throws Exception {
        for (final String ns : new String[] {SOURCE_NS, DESTINATION_NS}) {
            new ProcessBuilder("ip", "netns", "del", ns).start().waitFor(30, TimeUnit.SECONDS);
        }
    }

    /** {@code ferry ARGS} in network namespace {@code ns}, output into {@code log}. */
    private static Process ferry(final String ns, final Path log, final String... args) throws IOException {
        final List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", ns,
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED", "-Xmx256m",
            "-cp", System.getProperty("java.class.path"), FerryCli.class.getName()));
        command.addAll(List.of(args));
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    @Test
    @Timeout(300)
    void aDirtiedGuestCrossesALossyReorderingLinkIntact() throws Exception {
        final Path secret = secretFile(dir);
        final Path source = dir.resolve("source.ram");
        final Path destination = dir.resolve("destination.ram");
        try (GuestMemory memory = GuestMemory.createFile(source, List.of(new BlockSpec(0, "ram", 64L << 20)), 4096)) {
            Fill.mixed(memory.block(0), 0.3, 11);
        }
        final Path receiveLog = dir.resolve("receive.log");
        final Process receiver = ferry(DESTINATION_NS, receiveLog, "receive", "--listen", DESTINATION_IP + ":7000",
            "--memory-file", destination.toString(), "--secret-file", secret.toString(), "--stats-json",
            dir.resolve("receive.json").toString());
        try {
            awaitLine(receiveLog, "listening on", receiver);
            final Path sendLog = dir.resolve("send.log");
            final Process sender = ferry(SOURCE_NS, sendLog, "send", "--connect", DESTINATION_IP + ":7000",
                "--memory-file", source.toString(), "--secret-file", secret.toString(), "--channels", "4",
                "--dirty-rate", "5000", "--hot-set", "8m", "--stats-json", dir.resolve("send.json").toString());
            CliTest.awaitBothExitZero(sender, sendLog, 240, receiver, receiveLog);
        } finally {
            receiver.destroyForcibly();
        }
        assertArrayEquals(Files.readAllBytes(source), Files.readAllBytes(destination),
            "the destination file must equal the source file's final state");
        final String json = Files.readString(dir.resolve("send.json"));
        assertTrue(json.contains("\"verified\": true"), json);
        System.out.println("NetnsTest: " + shaping + ": total " + CliTest.number(json, "total-time-ms") + " ms, " +
            CliTest.number(json, "rounds") + " rounds, downtime " + CliTest.number(json, "downtime-ms") + " ms");
    }
}
