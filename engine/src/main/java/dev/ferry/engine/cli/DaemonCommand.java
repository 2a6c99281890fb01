package dev.ferry.engine.cli;

import dev.ferry.engine.ColdStart;
import dev.ferry.engine.ErrorCode;
import dev.ferry.engine.FerryException;
import dev.ferry.engine.MigrationRuntime;
import dev.ferry.engine.Secret;
import dev.ferry.engine.VerifyMode;
import dev.ferry.engine.daemon.ControlServer;
import dev.ferry.engine.daemon.Daemon;
import dev.ferry.engine.stats.CountersDirectory;
import dev.ferry.engine.text.Units;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import javax.net.ssl.SSLContext;

@Command(name = "daemon", mixinStandardHelpOptions = true,
    description = "Run the migration service until stopped: incoming guests on --listen land in --data-dir, "
        + "outgoing ones are sent through the control API (JSON over HTTP on --control; see docs/operations.md), "
        + "metrics at GET /metrics. SIGTERM or POST /v1/shutdown drains: exit 0 if every migration running then "
        + "completed or was cancelled cleanly, else 1.")
final class DaemonCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    SecretOptions secret;

    @Option(names = "--listen", paramLabel = "HOST:PORT|unix:PATH", converter = Converters.HostPort.class,
        description = "Take incoming migrations here (one endpoint for all); needs --data-dir. Without it the daemon "
            + "only sends.")
    SocketAddress listen;

    @Option(names = "--data-dir", paramLabel = "DIR",
        description = "Incoming guests land in DIR/NAME, written to NAME.PID.partial and renamed once verified; DIR "
            + "must exist, be this user's and writable by no one else. Partial files of a daemon that was killed are "
            + "removed at start.")
    Path dataDir;

    @Option(names = "--control", paramLabel = "unix:PATH", converter = Converters.HostPort.class,
        description = "The control API's Unix-domain socket, made mode 0600 in a private directory (default: "
            + "/run/ferry/control.sock as root, else $XDG_RUNTIME_DIR/ferry/control.sock).")
    SocketAddress control;

    @Option(names = "--control-tcp", paramLabel = "HOST:PORT", converter = Converters.HostPort.class,
        description = "Also serve the control API on TCP, only with mutual TLS (--tls-keystore, --tls-truststore, "
            + "--tls-password-file; clients need a certificate the trust store accepts). Off by default.")
    SocketAddress controlTcp;

    @Option(names = "--metrics", paramLabel = "HOST:PORT", converter = Converters.HostPort.class,
        description = "Also serve GET /metrics alone on TCP, plain HTTP, for a Prometheus server to scrape (read-only: "
            + "every other path there is a 404). Off by default; /metrics is always on the control socket.")
    SocketAddress metrics;

    @Option(names = "--verify", paramLabel = "full|none",
        description = "Digest incoming guests against their sources before putting them in place (default: "
            + "${DEFAULT-VALUE}).")
    String verify;

    @Option(names = "--max-incoming", paramLabel = "N", defaultValue = "8",
        description = "Incoming migrations at once; a source past them is refused as busy (default: ${DEFAULT-VALUE}).")
    int maxIncoming;

    @Option(names = "--max-outgoing", paramLabel = "N", defaultValue = "8",
        description = "Outgoing migrations at once; more wait their turn, first come first served (default: "
            + "${DEFAULT-VALUE}).")
    int maxOutgoing;

    @Option(names = "--host-bandwidth", paramLabel = "SIZE/s", defaultValue = "unlimited",
        converter = Converters.Rate.class,
        description = "One budget all outgoing migrations share by weight, on top of their own caps (default: "
            + "${DEFAULT-VALUE}).")
    long hostBandwidth;

    @Option(names = "--drain-timeout", paramLabel = "DURATION", defaultValue = "60s",
        converter = Converters.DurationMs.class,
        description = "At SIGTERM or POST /v1/shutdown, how long running migrations have to finish before they are "
            + "cancelled cleanly (default: ${DEFAULT-VALUE}).")
    long drainTimeoutMs;

    @Option(names = "--idle-timeout", paramLabel = "DURATION", converter = Converters.DurationMs.class,
        description = "Fail an incoming migration when nothing arrives from its source for this long (default: "
            + "${DEFAULT-VALUE}).")
    long idleTimeoutMs;

    @Option(names = "--overwrite", description = "Let an incoming verified guest replace an existing DIR/NAME (by "
        + "default it is refused at SETUP; DELETE /v1/guests/NAME removes one).")
    boolean overwrite;

    @Option(names = "--counters-dir", paramLabel = "DIR",
        description = "Publish live counters for 'ferry stat' in DIR, a private directory (default: $"
            + StatCommand.COUNTERS_ENV + ", else /dev/shm/ferry-USER or the temp directory).")
    Path countersDir;

    @Option(names = "--verbose", description = "Print stack traces with errors.")
    boolean verbose;

    @Override
    public Integer call() throws Exception {
        ColdStart.prepareInBackground();
        final PrintWriter err = spec.commandLine().getErr();
        final Consumer<String> log = line -> {
            synchronized (err) {
                err.println(line);
                err.flush();
            }
        };
        checkOptions();
        final SSLContext tls = secret.tls();
        final Secret key = secret.secret("daemon", err, null != tls);
        final Path socket = null == control ? ControlServer.defaultSocket() :
            ((UnixDomainSocketAddress)control).getPath();
        final Path counters = CountersDirectory.prepare(null != countersDir ? countersDir :
            StatCommand.defaultDirectory(), "another with --counters-dir DIR or $" + StatCommand.COUNTERS_ENV);
        // The control socket and ports first: a daemon that cannot have them stops before it takes any migration.
        final ControlServer server = ControlServer.bind(socket, (InetSocketAddress)controlTcp, tls,
            (InetSocketAddress)metrics, log);
        final Daemon daemon;
        try {
            if (listen instanceof UnixDomainSocketAddress unix) {
                ControlServer.removeStaleSocket(unix.getPath(), "--listen", log); // left by a daemon killed outright
            }
            daemon = Daemon.start(new Daemon.Settings(listen, dataDir, key, tls, VerifyMode.parse(verify),
                maxIncoming, maxOutgoing, hostBandwidth, drainTimeoutMs, idleTimeoutMs, counters, overwrite, log));
        } catch (final RuntimeException ex) {
            server.close();
            throw ex;
        }
        server.attach(daemon);
        final Thread hook = new Thread(() -> {
            final int code = daemon.shutdown("SIGTERM").join();
            server.close();
            Runtime.getRuntime().halt(code);
        }, "ferry-daemon-sigterm");
        Runtime.getRuntime().addShutdownHook(hook);
        log.accept("ferry: daemon running: control unix:" + socket.toAbsolutePath() +
            (null == controlTcp ? "" : " and https://" + Units.describe(controlTcp) + " (mutual TLS, port " +
                server.tcpPort() + ")") +
            (null == metrics ? "" : ", metrics on http://" + Units.describe(metrics).replaceAll(":[0-9]+$", "") + ":" +
                server.metricsPort() + "/metrics") +
            (null == listen ? ", sends only (no --listen), up to " + maxOutgoing + " out at once" : ", listening on " +
                Units.describe(daemon.localAddress()) + ", guests into " + dataDir + ", up to " + maxIncoming +
                " in and " + maxOutgoing + " out at once"));
        final int code = daemon.stopped().join();
        server.close();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (final IllegalStateException ignore) {
            // the JVM is already going down: the hook reports the same code.
        }
        return code;
    }

    private void checkOptions() {
        if (null != listen && null == dataDir) {
            throw new FerryException(ErrorCode.CONFIGURATION, "--listen needs --data-dir DIR: incoming guests land " +
                "in DIR/NAME");
        }
        if (null != dataDir) {
            final String refusal = Files.exists(dataDir, LinkOption.NOFOLLOW_LINKS) ?
                CountersDirectory.refusal(dataDir) : "it does not exist";
            if (null != refusal) {
                throw new FerryException(ErrorCode.CONFIGURATION, "--data-dir " + dataDir + " refused: " + refusal);
            }
        }
        if (maxIncoming < 1 || maxOutgoing < 1) {
            throw FerryCli.bad(maxIncoming < 1 ? "--max-incoming" : "--max-outgoing", Integer.toString(
                maxIncoming < 1 ? maxIncoming : maxOutgoing), "a count >= 1");
        }
        if (null != control && !(control instanceof UnixDomainSocketAddress)) {
            throw FerryCli.bad("--control", Units.describe(control), "unix:PATH (TCP control is --control-tcp, " +
                "with mutual TLS)");
        }
        if (null != controlTcp && !(controlTcp instanceof InetSocketAddress)) {
            throw FerryCli.bad("--control-tcp", Units.describe(controlTcp), "HOST:PORT");
        }
        if (null != metrics && !(metrics instanceof InetSocketAddress)) {
            throw FerryCli.bad("--metrics", Units.describe(metrics), "HOST:PORT");
        }
        new MigrationRuntime.Context().maxIncoming(maxIncoming).maxOutgoing(maxOutgoing)
            .hostBandwidthBytesPerSec(hostBandwidth);
    }
}
