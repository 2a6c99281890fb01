package dev.ferry.engine.daemon;

import dev.ferry.engine.ErrorCode;
import dev.ferry.engine.FerryException;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.unixdomain.server.UnixDomainServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;
import javax.net.ssl.SSLContext;

/**
 * The control API's HTTP face: Jetty 12 on a Unix-domain socket (mode 0600, in a private directory; see
 * {@link ControlSocket}), and, only when asked, on TCP with mutual TLS (a client without a certificate the trust
 * store accepts is refused in the handshake). A small pool: a handful of threads, request bodies of at most 64 KiB.
 */
public final class ControlServer implements AutoCloseable {
    /** The largest request body taken; a bigger one is a 413. */
    static final int MAX_BODY_BYTES = 64 * 1024;
    private static final int MAX_THREADS = 8;
    private static final String METRICS_CONNECTOR = "metrics";
    private static final long STOP_TIMEOUT_MS = 5_000;

    private final Server server;
    private final ControlSocket.Claim claim;
    private final Adapter adapter;

    private ControlServer(final Server server, final ControlSocket.Claim claim, final Adapter adapter) {
        this.server = server;
        this.claim = claim;
        this.adapter = adapter;
    }

    /**
     * Serves {@code daemon}'s API on {@code socket} and, if {@code tcp} is not null, on it with mutual TLS from
     * {@code tls} (required then).
     */
    public static ControlServer start(final Daemon daemon, final Path socket, final InetSocketAddress tcp,
        final SSLContext tls, final Consumer<String> log) {
        return start(daemon, socket, tcp, tls, null, log);
    }

    /** As {@link #bind} then {@link #attach}. */
    public static ControlServer start(final Daemon daemon, final Path socket, final InetSocketAddress tcp,
        final SSLContext tls, final InetSocketAddress metrics, final Consumer<String> log) {
        final ControlServer server = bind(socket, tcp, tls, metrics, log);
        server.attach(daemon);
        return server;
    }

    /**
     * Claims {@code socket} ({@link ControlSocket#claim}: its lock taken, a stale socket removed) and binds it, mode
     * 0600; if {@code tcp} is not null, also that port with mutual TLS from {@code tls} (required then); if
     * {@code metrics} is not null, {@code GET /metrics} alone on it, plain HTTP (for a Prometheus server, which
     * scrapes TCP: every other path or method there is refused without reading a body). Every path answers 503
     * until {@link #attach}: a daemon binds its control first, so that a path or port it cannot have stops it
     * before it takes any migration.
     */
    public static ControlServer bind(final Path socket, final InetSocketAddress tcp, final SSLContext tls,
        final InetSocketAddress metrics, final Consumer<String> log) {
        quietJetty();
        if (null != tcp && null == tls) {
            throw new FerryException(ErrorCode.CONFIGURATION, "--control-tcp needs mutual TLS: give --tls-keystore, " +
                "--tls-truststore and --tls-password-file (clients then need a certificate the trust store accepts)");
        }
        final ControlSocket.Claim claim = ControlSocket.claim(socket, log);
        final QueuedThreadPool threads = new QueuedThreadPool(MAX_THREADS, 2);
        threads.setName("ferry-control");
        threads.setDaemon(true);
        final Server server = new Server(threads);
        final HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false);
        final UnixDomainServerConnector unix = new UnixDomainServerConnector(server, 1, 1,
            new HttpConnectionFactory(http));
        unix.setUnixDomainPath(claim.socket());
        server.addConnector(unix);
        if (null != tcp) {
            server.addConnector(tlsConnector(server, http, tcp, tls));
        }
        if (null != metrics) {
            final ServerConnector connector = new ServerConnector(server, 1, 1, new HttpConnectionFactory(http));
            connector.setName(METRICS_CONNECTOR);
            connector.setHost(metrics.getAddress().getHostAddress());
            connector.setPort(metrics.getPort());
            server.addConnector(connector);
        }
        final Adapter adapter = new Adapter();
        // Graceful: a request in flight when the daemon stops (POST /v1/shutdown itself, a preparation cut off by the
        // drain) still gets its answer, within the stop timeout.
        server.setHandler(new org.eclipse.jetty.server.handler.GracefulHandler(adapter));
        server.setStopTimeout(STOP_TIMEOUT_MS);
        server.setErrorHandler(new JsonErrors());
        try {
            server.start();
        } catch (final Exception ex) {
            stopQuietly(server);
            claim.close();
            throw new FerryException(ErrorCode.CONFIGURATION, "cannot serve the control API on unix:" + socket +
                (null == tcp ? "" : ", --control-tcp " + tcp) + (null == metrics ? "" : ", --metrics " + metrics) +
                ": " + ex.getMessage());
        }
        ControlSocket.restrict(claim.socket());
        return new ControlServer(server, claim, adapter);
    }

    /**
     * Jetty logs through slf4j: only its warnings, to stderr, unless the operator set otherwise. Called before any of
     * Jetty's classes is initialized (the first is in the caller's next line), which is when slf4j reads these.
     */
    static void quietJetty() {
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel",
            System.getProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn"));
        System.setProperty("org.slf4j.simpleLogger.logFile",
            System.getProperty("org.slf4j.simpleLogger.logFile", "System.err"));
        System.setProperty("slf4j.internal.verbosity", System.getProperty("slf4j.internal.verbosity", "ERROR"));
    }

    /** From now on the API answers for {@code daemon}. */
    public void attach(final Daemon daemon) {
        adapter.api = new ControlApi(daemon, new DaemonMetrics(daemon));
    }

    /**
     * Removes {@code path} before a daemon listens there ({@code --listen unix:PATH}) if it is the stale socket of a
     * daemon that was killed; a live socket or anything else there is refused, naming {@code option}.
     */
    public static void removeStaleSocket(final Path path, final String option, final Consumer<String> log) {
        ControlSocket.removeIfStale(path.toAbsolutePath(), option, log);
    }

    private static ServerConnector tlsConnector(final Server server, final HttpConfiguration http,
        final InetSocketAddress tcp, final SSLContext tls) {
        final SslContextFactory.Server ssl = new SslContextFactory.Server();
        ssl.setSslContext(tls);
        ssl.setNeedClientAuth(true);
        // Mutual TLS authenticates the client; whether the server's certificate names the host it was reached by is
        // the client's to check, so the server's own SNI host check (a 400 for a client that dials by IP address)
        // is off.
        final HttpConfiguration https = new HttpConfiguration(http);
        final SecureRequestCustomizer secure = new SecureRequestCustomizer();
        secure.setSniHostCheck(false);
        https.addCustomizer(secure);
        final ServerConnector connector = new ServerConnector(server, 1, 1,
            new org.eclipse.jetty.server.SslConnectionFactory(ssl, "http/1.1"), new HttpConnectionFactory(https));
        connector.setHost(tcp.getAddress().getHostAddress());
        connector.setPort(tcp.getPort());
        return connector;
    }

    /** The default socket: {@code /run/ferry/control.sock} as root, else under {@code $XDG_RUNTIME_DIR/ferry/}. */
    public static Path defaultSocket() {
        return ControlSocket.defaultPath();
    }

    /** The TCP port the API listens on with TLS (useful with port 0), or -1 without. */
    public int tcpPort() {
        return port(false);
    }

    /** The TCP port of {@code GET /metrics} alone (useful with port 0), or -1 without. */
    public int metricsPort() {
        return port(true);
    }

    private int port(final boolean metrics) {
        for (final org.eclipse.jetty.server.Connector connector : server.getConnectors()) {
            if (connector instanceof ServerConnector tcp && METRICS_CONNECTOR.equals(tcp.getName()) == metrics) {
                return tcp.getLocalPort();
            }
        }
        return -1;
    }

    public Path socket() {
        return claim.socket();
    }

    /** Stops serving, removes the socket and releases its lock. */
    @Override
    public void close() {
        stopQuietly(server);
        claim.close();
    }

    private static void stopQuietly(final Server server) {
        try {
            server.stop();
        } catch (final Exception ignore) {
            // stopping: nothing more to do.
        }
    }

    /** Writes {@code answer}'s content type, header and body (its status is the caller's to set, or Jetty's). */
    private static void writeAnswer(final Response response, final ControlApi.Answer answer, final Callback callback) {
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, answer.contentType());
        if (null != answer.header()) {
            response.getHeaders().put(answer.header(), answer.headerValue());
        }
        response.write(true, ByteBuffer.wrap(answer.body()), callback);
    }

    /** What Jetty answers itself (a request it cannot parse, a bad URI) is the API's JSON error too, not HTML. */
    private static final class JsonErrors extends ErrorHandler {
        @Override
        public boolean errorPageForMethod(final String method) {
            return true; // every method's error is the API's JSON, not only GET's and POST's
        }

        @Override
        protected void generateResponse(final Request request, final Response response, final int code,
            final String message, final Throwable cause, final Callback callback) {
            writeAnswer(response, answer(code, message), callback);
        }

        @Override
        public ByteBuffer badMessageError(final int status, final String reason, final HttpFields.Mutable fields) {
            final ControlApi.Answer answer = answer(status, reason);
            fields.put(HttpHeader.CONTENT_TYPE, answer.contentType());
            return ByteBuffer.wrap(answer.body());
        }

        private static ControlApi.Answer answer(final int code, final String message) {
            return ControlApi.error(code, ErrorCode.CONFIGURATION, null, "HTTP " + code + ": " + (null == message ?
                "the request was refused before it reached the API" : message));
        }
    }

    /** Jetty's request in, {@link ControlApi}'s answer out. */
    private static final class Adapter extends Handler.Abstract {
        /** Null until a daemon is attached: every request is a 503 until then. */
        private volatile ControlApi api;

        @Override
        public boolean handle(final Request request, final Response response, final Callback callback) {
            final ControlApi.Answer answer = answer(request);
            response.setStatus(answer.status());
            writeAnswer(response, answer, callback);
            return true;
        }

        private ControlApi.Answer answer(final Request request) {
            final String path = Request.getPathInContext(request);
            final ControlApi attached = api;
            if (METRICS_CONNECTOR.equals(request.getConnectionMetaData().getConnector().getName())) {
                // Anyone who reaches the metrics port: /metrics and nothing else (the API refuses its other methods),
                // and no body is ever read (a slow body would hold one of the few threads the control API has).
                if (!"/metrics".equals(path)) {
                    return ControlApi.error(404, ErrorCode.CONFIGURATION, null, "only GET /metrics is served here; " +
                        "the control API is on the daemon's Unix socket");
                }
                return null == attached ? starting() : attached.answer(request.getMethod(), path, Map.of(), "");
            }
            if (null == attached) {
                return starting();
            }
            final Map<String, String> query;
            try {
                query = query(request);
            } catch (final RuntimeException ex) {
                return ControlApi.error(400, ErrorCode.CONFIGURATION, "query", "query: cannot be read: " +
                    ex.getMessage());
            }
            try {
                final String body = body(request);
                return null == body ? ControlApi.error(413, ErrorCode.CONFIGURATION, "body", "body: larger than " +
                    MAX_BODY_BYTES + " bytes") : attached.answer(request.getMethod(), path, query, body);
            } catch (final IOException | RuntimeException ex) {
                return ControlApi.error(400, ErrorCode.CONFIGURATION, "body", "body: could not be read: " +
                    ex.getMessage());
            }
        }

        private static ControlApi.Answer starting() {
            return ControlApi.error(503, ErrorCode.RUNTIME_BUSY, null, "the daemon is starting").with("Retry-After",
                "1");
        }

        /** The body, or null when it is larger than {@link #MAX_BODY_BYTES}. */
        private static String body(final Request request) throws IOException {
            try (InputStream in = Content.Source.asInputStream(request)) {
                final byte[] bytes = in.readNBytes(MAX_BODY_BYTES + 1);
                return bytes.length > MAX_BODY_BYTES ? null : new String(bytes, StandardCharsets.UTF_8);
            }
        }

        private static Map<String, String> query(final Request request) {
            final Map<String, String> query = new HashMap<>();
            final Fields fields = Request.extractQueryParameters(request, StandardCharsets.UTF_8);
            for (final Fields.Field field : fields) {
                query.put(field.getName(), field.getValue());
            }
            return query;
        }
    }
}
