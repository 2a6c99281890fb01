package dev.ferry.engine.cli;

import dev.ferry.engine.cli.CliTest.Run;
import dev.ferry.engine.stats.CountersFile;
import dev.ferry.memory.BlockSpec;
import dev.ferry.memory.GuestMemory;
import dev.ferry.memory.internal.Fill;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static dev.ferry.engine.cli.CliTest.awaitLine;
import static dev.ferry.engine.cli.CliTest.freePort;
import static dev.ferry.engine.cli.CliTest.inProcess;
import static dev.ferry.engine.cli.CliTest.process;
import static dev.ferry.engine.cli.CliTest.secretFile;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The convergence flags from the command line: SIGUSR1 forces a switchover; bad values exit 2 naming the flag. */
final class CliConvergenceTest {
    @TempDir
    Path dir;

    /**
     * A hot guest under a 4 MiB/s cap, without auto-converge and with no dirty threshold, never converges on its own;
     * once its counters show round 2, {@code kill -USR1} makes it switch over and complete.
     */
    @Test
    @Timeout(120)
    void sigusr1ForcesASwitchover() throws Exception {
        final Path secret = secretFile(dir);
        final Path source = dir.resolve("source.ram");
        try (GuestMemory memory = GuestMemory.createFile(source, List.of(new BlockSpec(0, "ram", 4L << 20)), 4096)) {
            Fill.mixed(memory.block(0), 0.3, 5);
        }
        final Path counters = dir.resolve("counters"); // Ferry makes it, private (0700)
        final int port = freePort();
        final Path receiveLog = dir.resolve("receive.log");
        final Process receiver = process(receiveLog, "receive", "--listen", "127.0.0.1:" + port, "--memory-file",
            dir.resolve("destination.ram").toString(), "--secret-file", secret.toString());
        try {
            awaitLine(receiveLog, "listening on", receiver);
            final Path sendLog = dir.resolve("send.log");
            final Path json = dir.resolve("send.json");
            final Process sender = process(sendLog, "send", "--connect", "127.0.0.1:" + port, "--memory-file",
                source.toString(), "--secret-file", secret.toString(), "--dirty-rate", "50000", "--hot-set", "2m",
                "--max-bandwidth", "4m/s", "--no-auto-converge", "--switchover-dirty", "0", "--downtime-limit", "10ms",
                "--timeout", "100s", "--counters-dir", counters.toString(), "--stats-json", json.toString());
            awaitRound(counters, sender, 2);
            final Process kill = new ProcessBuilder("kill", "-USR1", Long.toString(sender.pid())).start();
            assertEquals(0, kill.waitFor());
            assertTrue(sender.waitFor(60, TimeUnit.SECONDS), "send did not finish");
            assertEquals(0, sender.exitValue(), Files.readString(sendLog));
            assertTrue(receiver.waitFor(30, TimeUnit.SECONDS));
            final String stats = Files.readString(json);
            assertTrue(stats.contains("\"switchover-reason\": \"forced\""), stats);
            assertTrue(stats.contains("\"max-bandwidth-bytes-per-sec\": 4194304"), stats);
            assertTrue(stats.contains("\"final-round-uncapped\": true"), stats);
            assertTrue(Files.readString(sendLog).contains("SIGUSR1: forcing a switchover"));
        } finally {
            receiver.destroyForcibly();
        }
    }

    private static void awaitRound(final Path counters, final Process sender, final long round) throws Exception {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline && sender.isAlive()) {
            for (final CountersFile.Sample sample : CountersFile.readAll(counters)) {
                if (sample.pid() == sender.pid() && "rounds".equals(sample.label()) && sample.value() > round) {
                    return;
                }
            }
            Thread.sleep(20);
        }
        throw new AssertionError("the sender never reached round " + round);
    }

    @Test
    @Timeout(30)
    void badConvergenceValuesExitTwoNamingTheFlag() throws Exception {
        final Path file = Files.write(dir.resolve("m.ram"), new byte[8192]);
        for (final String[] bad : new String[][] {
            {"--max-bandwidth", "20x/s"}, {"--downtime-limit", "300"}, {"--timeout", "0s"}, {"--max-rounds", "-1"},
            {"--compress", "lz4"}}) {
            final Run run = inProcess("send", "--connect", "127.0.0.1:1", "--memory-file", file.toString(),
                "--insecure", bad[0], bad[1]);
            assertEquals(2, run.exitCode(), String.join(" ", bad) + ": " + run.err());
            assertTrue(run.err().contains(bad[0]) || run.err().contains("max rounds"), run.err());
            assertFalse(run.err().contains("\tat "), "no stack trace: " + run.err());
        }
    }
}
