package dev.ferry.engine.channel;

import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.X509Certificate;
import java.util.Date;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * The JDK's trust manager, then every certificate the peer sent checked against the clock. The JDK checks the
 * validity of a chain up to, not including, its trust anchor; a certificate trusted directly (the self-signed recipe
 * of docs/operations.md, each side's certificate in the other's trust store) is its own anchor, so an expired or
 * not-yet-valid one was accepted. This refuses it, on the source (checking the destination) and on the destination
 * (checking the source), with a message that names the certificate and the date.
 */
public final class ValidityCheckingTrustManager extends X509ExtendedTrustManager {
    private final X509ExtendedTrustManager trust;

    public ValidityCheckingTrustManager(final X509ExtendedTrustManager trust) {
        this.trust = trust;
    }

    /** Throws if a certificate of {@code chain} has expired or is not valid yet at {@code now}. */
    static void checkValidity(final X509Certificate[] chain, final Date now) throws CertificateException {
        for (final X509Certificate certificate : chain) {
            if (now.after(certificate.getNotAfter())) {
                throw new CertificateExpiredException("subject " + certificate.getSubjectX500Principal().getName() +
                    ", expired on " + certificate.getNotAfter().toInstant());
            }
            if (now.before(certificate.getNotBefore())) {
                throw new CertificateNotYetValidException("subject " +
                    certificate.getSubjectX500Principal().getName() + ", not valid before " +
                    certificate.getNotBefore().toInstant());
            }
        }
    }

    @Override
    public void checkClientTrusted(final X509Certificate[] chain, final String authType, final Socket socket)
        throws CertificateException {
        trust.checkClientTrusted(chain, authType, socket);
        checkValidity(chain, new Date());
    }

    @Override
    public void checkServerTrusted(final X509Certificate[] chain, final String authType, final Socket socket)
        throws CertificateException {
        trust.checkServerTrusted(chain, authType, socket);
        checkValidity(chain, new Date());
    }

    @Override
    public void checkClientTrusted(final X509Certificate[] chain, final String authType, final SSLEngine engine)
        throws CertificateException {
        trust.checkClientTrusted(chain, authType, engine);
        checkValidity(chain, new Date());
    }

    @Override
    public void checkServerTrusted(final X509Certificate[] chain, final String authType, final SSLEngine engine)
        throws CertificateException {
        trust.checkServerTrusted(chain, authType, engine);
        checkValidity(chain, new Date());
    }

    @Override
    public void checkClientTrusted(final X509Certificate[] chain, final String authType) throws CertificateException {
        trust.checkClientTrusted(chain, authType);
        checkValidity(chain, new Date());
    }

    @Override
    public void checkServerTrusted(final X509Certificate[] chain, final String authType) throws CertificateException {
        trust.checkServerTrusted(chain, authType);
        checkValidity(chain, new Date());
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return trust.getAcceptedIssuers();
    }
}
