package dev.ferry.engine.daemon;

import dev.ferry.engine.ErrorCode;
import dev.ferry.engine.FerryException;
import dev.ferry.engine.TestCertificates;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.transport.HttpClientTransportOverHTTP;
import org.eclipse.jetty.io.ClientConnector;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** TCP control is mutual TLS or nothing: refused without TLS, and a client without an accepted certificate fails. */
final class TcpControlTest {
    @Test
    void tcpControlNeedsMutualTlsAndAClientCertificateTheTrustStoreAccepts(@TempDir final Path dir) throws Exception {
        final TestCertificates certificates = new TestCertificates(dir);
        try (DaemonUnderTest daemon = DaemonUnderTest.start(dir.resolve("d"), false, 8, 5_000, null)) {
            final InetSocketAddress tcp = new InetSocketAddress("127.0.0.1", 0);
            assertEquals(ErrorCode.CONFIGURATION, assertThrows(FerryException.class, () -> ControlServer.start(
                daemon.daemon, dir.resolve("t").resolve("a.sock"), tcp, null, line -> { })).code());
            try (ControlServer server = ControlServer.start(daemon.daemon, dir.resolve("t").resolve("b.sock"), tcp,
                certificates.context("destination", "ca"), new InetSocketAddress("127.0.0.1", 0), line -> { })) {
                // The plain metrics port: GET /metrics alone; no other path, no other method, no body read.
                final String metrics = "http://127.0.0.1:" + server.metricsPort();
                assertEquals(200, plainGet(metrics + "/metrics").getStatus());
                assertEquals(404, plainGet(metrics + "/v1/daemon").getStatus());
                assertEquals(405, plainSend("POST", metrics + "/metrics").getStatus());
                final String url = "https://127.0.0.1:" + server.tcpPort() + "/v1/daemon";
                assertEquals(200, get(url, certificates.context("source", "ca")).getStatus());
                // Refused in the TLS handshake (the request fails), not answered with an HTTP error.
                assertThrows(ExecutionException.class, () -> get(url, certificates.context("stranger", "ca")),
                    "a certificate of another CA is refused");
                final SSLContext anonymous = clientWithoutCertificate(certificates);
                assertThrows(ExecutionException.class, () -> get(url, anonymous),
                    "a client without a certificate is refused");
                final String plain = "http://127.0.0.1:" + server.tcpPort() + "/v1/daemon";
                try {
                    assertTrue(plainGet(plain).getStatus() >= 400, "plain HTTP to the TLS port is refused");
                } catch (final ExecutionException refused) {
                    assertTrue(null != refused.getCause(), "plain HTTP to the TLS port fails");
                }
            }
        }
    }

    /** A context that trusts the CA but holds no key of its own. */
    private static SSLContext clientWithoutCertificate(final TestCertificates certificates) throws Exception {
        final java.security.KeyStore trust = java.security.KeyStore.getInstance("PKCS12");
        try (var in = java.nio.file.Files.newInputStream(certificates.truststore("ca"))) {
            trust.load(in, "ferry-test-password".toCharArray());
        }
        final javax.net.ssl.TrustManagerFactory factory = javax.net.ssl.TrustManagerFactory.getInstance("PKIX");
        factory.init(trust);
        final SSLContext context = SSLContext.getInstance("TLSv1.3");
        context.init(null, factory.getTrustManagers(), null);
        return context;
    }

    private static ContentResponse get(final String url, final SSLContext tls) throws Exception {
        final SslContextFactory.Client ssl = new SslContextFactory.Client();
        ssl.setSslContext(tls);
        ssl.setEndpointIdentificationAlgorithm(null); // the test certificates name sides, not hosts
        final ClientConnector connector = new ClientConnector();
        connector.setSslContextFactory(ssl);
        final HttpClient http = new HttpClient(new HttpClientTransportOverHTTP(connector));
        http.start();
        try {
            return http.newRequest(url).timeout(20, TimeUnit.SECONDS).send();
        } finally {
            http.stop();
        }
    }

    private static ContentResponse plainGet(final String url) throws Exception {
        return plainSend("GET", url);
    }

    private static ContentResponse plainSend(final String method, final String url) throws Exception {
        final HttpClient http = new HttpClient();
        http.start();
        try {
            return http.newRequest(url).method(method).timeout(20, TimeUnit.SECONDS).send();
        } finally {
            http.stop();
        }
    }
}
