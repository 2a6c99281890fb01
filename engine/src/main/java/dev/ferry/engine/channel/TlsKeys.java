package dev.ferry.engine.channel;

import java.util.Map;
import java.util.WeakHashMap;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;

/**
 * The key and trust managers behind an {@link SSLContext} that Ferry made itself (from key store files), so that
 * its connections may use a faster TLS engine than the context's own ({@link BoringSslEngines}). A context an
 * embedder made is not here: its connections use the JDK's engine, built from it.
 */
public final class TlsKeys {
    private static final Map<SSLContext, TlsKeys> REGISTERED = new WeakHashMap<>();

    private final KeyManager keyManager;
    private final TrustManager trustManager;

    private TlsKeys(final KeyManager keyManager, final TrustManager trustManager) {
        this.keyManager = keyManager;
        this.trustManager = trustManager;
    }

    /** Records that {@code context} was made with exactly {@code keyManager} and {@code trustManager}. */
    public static void register(final SSLContext context, final KeyManager keyManager, final TrustManager trustManager) {
        synchronized (REGISTERED) {
            REGISTERED.put(context, new TlsKeys(keyManager, trustManager));
        }
    }

    /** The managers {@code context} was made with, or null when Ferry did not make it. */
    static TlsKeys of(final SSLContext context) {
        synchronized (REGISTERED) {
            return REGISTERED.get(context);
        }
    }

    KeyManager keyManager() {
        return keyManager;
    }

    TrustManager trustManager() {
        return trustManager;
    }
}
