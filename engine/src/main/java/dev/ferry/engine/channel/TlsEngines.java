package dev.ferry.engine.channel;

import dev.ferry.engine.ErrorCode;
import dev.ferry.engine.FerryException;

import java.io.EOFException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.util.Locale;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;

/**
 * The engines of Ferry's mutual TLS: TLS 1.3 only, the destination requiring a client certificate, no host-name
 * check on either side (a peer is who the trust store says, so a self-signed certificate imported into the other
 * side's trust store works); and the one-line reasons given when a handshake fails.
 */
public final class TlsEngines {
    private static final String[] PROTOCOLS = {"TLSv1.3"};

    private TlsEngines() {
    }

    /**
     * The source's engine for a connection to {@code destination}: BoringSSL's when {@code context} is one Ferry made
     * from key store files ({@link TlsKeys}) and BoringSSL is there ({@link BoringSslEngines}), else the context's
     * own (the JDK's).
     */
    public static SSLEngine client(final SSLContext context, final SocketAddress destination) throws SSLException {
        final TlsKeys keys = TlsKeys.of(context);
        if (null != keys && BoringSslEngines.available()) {
            return destination instanceof InetSocketAddress inet ?
                BoringSslEngines.client(keys, inet.getHostString(), inet.getPort()) : BoringSslEngines.client(keys);
        }
        final SSLEngine engine = destination instanceof InetSocketAddress inet ?
            context.createSSLEngine(inet.getHostString(), inet.getPort()) : context.createSSLEngine();
        engine.setUseClientMode(true);
        engine.setEnabledProtocols(PROTOCOLS);
        return withoutHostNameCheck(engine);
    }

    /** The destination's engine for an accepted connection: a client certificate is required. As {@link #client}. */
    public static SSLEngine server(final SSLContext context) throws SSLException {
        final TlsKeys keys = TlsKeys.of(context);
        if (null != keys && BoringSslEngines.available()) {
            return BoringSslEngines.server(keys);
        }
        final SSLEngine engine = context.createSSLEngine();
        engine.setUseClientMode(false);
        engine.setNeedClientAuth(true);
        engine.setEnabledProtocols(PROTOCOLS);
        return withoutHostNameCheck(engine);
    }

    /**
     * Makes, on a daemon thread, what the first connection of {@code context} would otherwise make on the migration's
     * clock: BoringSSL's native library and its client and server contexts (hundreds of ms on a cold JVM). Nothing
     * here can fail a migration: what goes wrong fails again, and is reported, at the first connection.
     */
    public static void prepareInBackground(final SSLContext context) {
        final TlsKeys keys = TlsKeys.of(context);
        if (null == keys) {
            return;
        }
        final Thread thread = new Thread(() -> {
            try {
                if (BoringSslEngines.available()) {
                    BoringSslEngines.prepare(keys);
                }
            } catch (final SSLException | RuntimeException | LinkageError ignore) {
                // the first connection meets the same failure and names it
            }
        }, "ferry-tls-prepare");
        thread.setDaemon(true);
        thread.start();
    }

    /** Which engine a context's connections get: "BoringSSL" or "JDK" (for logs and the report). */
    public static String engineName(final SSLContext context) {
        return null != TlsKeys.of(context) && BoringSslEngines.available() ? "BoringSSL" : "JDK";
    }

    static SSLEngine withoutHostNameCheck(final SSLEngine engine) {
        final SSLParameters parameters = engine.getSSLParameters();
        parameters.setEndpointIdentificationAlgorithm(null);
        engine.setSSLParameters(parameters);
        return engine;
    }

    /**
     * One line on why a TLS exchange with {@code peer} (the destination's address, or "the source" seen from the
     * destination) failed, from the exception's chain.
     */
    public static String reason(final Exception failure, final String peerRole) {
        for (Throwable cause = failure; null != cause; cause = cause.getCause()) {
            if (cause instanceof CertificateExpiredException) {
                return "the " + peerRole + "'s certificate has expired (" + cause.getMessage() + ")";
            }
            if (cause instanceof CertificateNotYetValidException) {
                return "the " + peerRole + "'s certificate is not valid yet (" + cause.getMessage() + ")";
            }
        }
        for (Throwable cause = failure; null != cause; cause = cause.getCause()) {
            if (cause instanceof CertPathValidatorException || String.valueOf(cause.getMessage()).contains("PKIX")) {
                return "the " + peerRole + "'s certificate is not trusted by this side's trust store (" +
                    cause.getMessage() + ")";
            }
        }
        final String message = String.valueOf(failure.getMessage());
        final String lower = message.toLowerCase(Locale.ROOT);
        if (lower.contains("alert_certificate_expired")) { // BoringSSL's name for the peer's alert
            return "the " + peerRole + " refused this side's certificate: it has expired (" + message + ")";
        }
        if (lower.contains("received fatal alert: certificate") || lower.contains("bad_certificate") ||
            lower.contains("alert_certificate") ||
            lower.contains("unknown_ca") || lower.contains("certificate_required")) {
            return "the " + peerRole + " refused this side's certificate (" + message + ")";
        }
        if (lower.contains("unsupported or unrecognized ssl message") || lower.contains("plaintext")) {
            return "the " + peerRole + " does not speak TLS (" + message + ")";
        }
        if (failure instanceof EOFException || lower.contains("closed by the peer")) {
            return "the " + peerRole + " closed the connection during the TLS handshake (does it use TLS, and " +
                "trust this side's certificate?)";
        }
        return message;
    }

    /** The source's error for a failed TLS exchange with the destination at {@code destination}. */
    public static FerryException sourceFailure(final Exception failure, final Object destination) {
        return new FerryException(ErrorCode.TLS_FAILED, "TLS with " + destination + " failed: " +
            reason(failure, "destination"));
    }
}
