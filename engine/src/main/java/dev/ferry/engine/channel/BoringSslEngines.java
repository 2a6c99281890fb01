package dev.ferry.engine.channel;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;

import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * TLS engines from BoringSSL (netty-tcnative's statically linked build, through netty's {@code SslContext}), for
 * contexts whose keys Ferry holds ({@link TlsKeys}). Per byte they seal and open records 2-3 times faster than the
 * JDK's engine and need no JIT warm-up (docs/benchmarks.md, "TLS"). Asked for with {@code -Dferry.tls.engine=boringssl}
 * (the JDK's engine stays the default until BoringSSL's refusals say as much as the JDK's do: docs/operations.md).
 * netty-handler and netty-tcnative-boringssl-static are optional dependencies: this is the only class that names
 * them, and it is loaded only after {@link #available()} said yes; without them every connection uses the JDK's
 * engine. The engines are configured as the JDK's: TLS 1.3 only, a client certificate required, no host-name check
 * (a peer is who the trust store says).
 */
final class BoringSslEngines {
    /** {@code boringssl} asks for BoringSSL's engine; anything else (the default) keeps the JDK's. */
    static final String ENGINE_PROPERTY = "ferry.tls.engine";
    private static final System.Logger LOG = System.getLogger(BoringSslEngines.class.getName());
    private static final String[] PROTOCOLS = {"TLSv1.3"};
    private static final Map<TlsKeys, SslContext[]> CONTEXTS = new WeakHashMap<>();

    private BoringSslEngines() {
    }

    /** Whether BoringSSL was asked for, is on the class path and loads on this platform. */
    static boolean available() {
        if (!"boringssl".equalsIgnoreCase(System.getProperty(ENGINE_PROPERTY, ""))) {
            return false;
        }
        if (!Probe.AVAILABLE) {
            Probe.warnOnce();
        }
        return Probe.AVAILABLE;
    }

    /** Loaded on first use: the class lookup and the native library's load, once per JVM. */
    private static final class Probe {
        static final boolean AVAILABLE = probe();

        private static volatile boolean warned;

        static void warnOnce() {
            if (!warned) {
                warned = true;
                LOG.log(System.Logger.Level.WARNING, "-D" + ENGINE_PROPERTY + "=boringssl: BoringSSL (netty-tcnative) " +
                    "is not on the class path or does not load here; using the JDK's TLS engine");
            }
        }

        private static boolean probe() {
            try {
                Class.forName("io.netty.handler.ssl.OpenSsl", false, BoringSslEngines.class.getClassLoader());
                return OpenSsl.isAvailable(); // the static BoringSSL build, which speaks TLS 1.3
            } catch (final ClassNotFoundException | LinkageError ex) {
                return false;
            }
        }
    }

    static SSLEngine client(final TlsKeys keys, final String host, final int port) throws SSLException {
        return configure(contexts(keys)[0].newEngine(ByteBufAllocator.DEFAULT, host, port));
    }

    static SSLEngine client(final TlsKeys keys) throws SSLException {
        return configure(contexts(keys)[0].newEngine(ByteBufAllocator.DEFAULT));
    }

    static SSLEngine server(final TlsKeys keys) throws SSLException {
        return configure(contexts(keys)[1].newEngine(ByteBufAllocator.DEFAULT));
    }

    /** The client and server contexts of {@code keys}, made once: a native context is costly to make. */
    private static SslContext[] contexts(final TlsKeys keys) throws SSLException {
        synchronized (CONTEXTS) {
            SslContext[] contexts = CONTEXTS.get(keys);
            if (null == contexts) {
                contexts = new SslContext[] {
                    SslContextBuilder.forClient().keyManager(keys.keyManager()).trustManager(keys.trustManager())
                        .sslProvider(SslProvider.OPENSSL).protocols(PROTOCOLS).build(),
                    SslContextBuilder.forServer(keys.keyManager()).trustManager(keys.trustManager())
                        .clientAuth(ClientAuth.REQUIRE).sslProvider(SslProvider.OPENSSL).protocols(PROTOCOLS).build()
                };
                CONTEXTS.put(keys, contexts);
            }
            return contexts;
        }
    }

    private static SSLEngine configure(final SSLEngine engine) {
        return TlsEngines.withoutHostNameCheck(engine);
    }
}
