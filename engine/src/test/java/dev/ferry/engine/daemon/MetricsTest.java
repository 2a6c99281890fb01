package dev.ferry.engine.daemon;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code GET /metrics} as Prometheus reads it: promtool (Debian's {@code prometheus} package, which .ci/run installs)
 * checks the text of a daemon with migrations both running and ended, and a real Prometheus server scrapes the
 * daemon's {@code --metrics} port once. Skipped, saying so, where the package is not installed.
 */
final class MetricsTest {
    private static final int MIB = 1 << 20;

    @Test
    void promtoolAcceptsTheMetricsAndAPrometheusServerScrapesThem(@TempDir final Path dir) throws Exception {
        final Path promtool = Path.of("/usr/bin/promtool");
        Assumptions.assumeTrue(Files.isExecutable(promtool), "promtool is not installed here (apt-get install " +
            "prometheus; .ci/run does): the metrics were not checked by it");
        try (DaemonUnderTest b = DaemonUnderTest.start(dir.resolve("b"), true, 8, 10_000, null);
             DaemonUnderTest a = DaemonUnderTest.start(dir.resolve("a"), false, 8, 10_000, null)) {
            final Path guest = DaemonUnderTest.guestFile(dir, "vm.img", 4 * MIB);
            a.awaitEnded(a.send(b, guest, "done", ""));
            final String running = a.send(b, DaemonUnderTest.guestFile(dir, "slow.img", 16 * MIB), "slow",
                "\"max-bandwidth\": \"2m/s\"");
            a.await(running, node -> "active".equals(node.get("state").asText()), 30_000);
            for (final DaemonUnderTest side : List.of(a, b)) {
                final String text = side.call("GET", "/metrics", null).body();
                final Process check = new ProcessBuilder(promtool.toString(), "check", "metrics")
                    .redirectErrorStream(true).start();
                check.getOutputStream().write(text.getBytes(StandardCharsets.UTF_8));
                check.getOutputStream().close();
                final String verdict = new String(check.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertTrue(check.waitFor(30, TimeUnit.SECONDS));
                assertEquals(0, check.exitValue(), "promtool: " + verdict + "\n" + text);
                assertTrue(text.contains("role=\"" + (side == a ? "source" : "destination") + "\",state=\"active\""),
                    text);
                assertTrue(text.contains("ferry_migration_transferred_bytes_total{id=\"" + (side == a ? "out" : "in") +
                    "-1\",name=\"done\""), text);
            }
            scrapedByPrometheus(dir, b);
            a.expect(202, "DELETE", "/v1/migrations/" + running, null);
        }
    }

    /** A Prometheus server scrapes b's metrics port (plain HTTP, /metrics alone) once; bounded by 60 s. */
    private static void scrapedByPrometheus(final Path dir, final DaemonUnderTest b) throws Exception {
        final Path prometheus = Path.of("/usr/bin/prometheus");
        if (!Files.isExecutable(prometheus)) {
            System.err.println("MetricsTest: no prometheus server here; the real scrape was skipped");
            return;
        }
        try (ControlServer metrics = ControlServer.start(b.daemon, dir.resolve("m").resolve("m.sock"), null, null,
            new InetSocketAddress("127.0.0.1", 0), line -> { })) {
            final int port = freePort();
            final Path config = Files.writeString(dir.resolve("prometheus.yml"), "global:\n  scrape_interval: 1s\n" +
                "scrape_configs:\n  - job_name: ferry\n    static_configs:\n      - targets: ['127.0.0.1:" +
                metrics.metricsPort() + "']\n");
            final Process server = new ProcessBuilder(prometheus.toString(), "--config.file=" + config,
                "--storage.tsdb.path=" + dir.resolve("tsdb"), "--web.listen-address=127.0.0.1:" + port)
                .redirectErrorStream(true).redirectOutput(dir.resolve("prometheus.log").toFile()).start();
            try {
                final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
                final URI query = URI.create("http://127.0.0.1:" + port +
                    "/api/v1/query?query=ferry_migrated_bytes_total%7Bdirection%3D%22in%22%7D");
                final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                String answer = "";
                while (System.nanoTime() - deadline < 0 && server.isAlive()) {
                    try {
                        answer = http.send(HttpRequest.newBuilder(query).build(),
                            HttpResponse.BodyHandlers.ofString()).body();
                        if (answer.contains("\"direction\":\"in\"")) {
                            return;
                        }
                    } catch (final IOException notYet) {
                        // the server is still starting
                    }
                    Thread.sleep(200);
                }
                throw new AssertionError("Prometheus did not scrape the daemon: " + answer + "\n" +
                    Files.readString(dir.resolve("prometheus.log")));
            } finally {
                server.destroyForcibly();
                server.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
