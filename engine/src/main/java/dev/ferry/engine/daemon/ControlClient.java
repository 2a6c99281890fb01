package dev.ferry.engine.daemon;

import dev.ferry.engine.ErrorCode;
import dev.ferry.engine.FerryException;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.client.StringRequestContent;
import org.eclipse.jetty.io.Transport;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A client of a running daemon's control API on its Unix-domain socket (Jetty's HTTP client): what
 * {@code ferry send --daemon} uses, and the tests.
 */
public final class ControlClient implements AutoCloseable {
    private static final long TIMEOUT_S = 30;

    private final HttpClient http = new HttpClient();
    private final Path socket;

    /** One answer: its status, body and Allow header (null without one). */
    public record Answer(int status, String body, String allow) {
    }

    private ControlClient(final Path socket) {
        this.socket = socket;
    }

    /** A client of the daemon on {@code socket}; nothing is sent until the first request. */
    public static ControlClient of(final Path socket) {
        ControlServer.quietJetty();
        final ControlClient client = new ControlClient(socket);
        try {
            client.http.setName("ferry-control-client");
            client.http.start();
        } catch (final Exception ex) {
            throw new FerryException(ErrorCode.INTERNAL, "cannot start the HTTP client: " + ex.getMessage());
        }
        return client;
    }

    /** {@code method path} with {@code json} as the body (null for none). */
    public Answer request(final String method, final String path, final String json) {
        final Request request = http.newRequest("http://localhost" + path).method(method)
            .transport(new Transport.TCPUnix(socket)).timeout(TIMEOUT_S, TimeUnit.SECONDS);
        if (null != json) {
            request.body(new StringRequestContent("application/json", json, StandardCharsets.UTF_8));
        }
        try {
            final ContentResponse response = request.send();
            return new Answer(response.getStatus(), response.getContentAsString(),
                response.getHeaders().get(org.eclipse.jetty.http.HttpHeader.ALLOW));
        } catch (final InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new FerryException(ErrorCode.CANCELLED, "interrupted while asking the daemon at unix:" + socket);
        } catch (final ExecutionException | TimeoutException ex) {
            final Throwable cause = null == ex.getCause() ? ex : ex.getCause();
            throw new FerryException(ErrorCode.CONNECT_FAILED, "cannot reach the daemon at unix:" + socket + ": " +
                cause.getMessage() + " (is 'ferry daemon' running, with --control on this path?)");
        }
    }

    @Override
    public void close() {
        try {
            http.stop();
        } catch (final Exception ignore) {
            // closing: nothing more to do.
        }
    }
}
