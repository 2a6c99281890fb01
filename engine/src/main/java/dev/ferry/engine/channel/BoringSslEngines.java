package dev.ferry.engine.channel;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;

import java.util.Map;
import java.util.WeakHashMap;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;

/**
 * TLS engines from BoringSSL (netty-tcnative's statically linked build, through netty's {@code SslContext}), for
 * contexts whose keys Ferry holds ({@link TlsKeys}). Per byte they seal and open records 2-3 times faster than the
 * JDK's engine and need no JIT warm-up (docs/benchmarks.md, "TLS"). netty-handler and
 * netty-tcnative-boringssl-static are optional dependencies: this is the only class that names them, and it is
 * loaded only after {@link #available()} said yes; without them, or with {@code -Dferry.tls.engine=jdk}, every
 * connection uses the JDK's engine. The engines are configured as the JDK's: TLS 1.3 only, a client certificate
 * required, no host-name check (a peer is who the trust store says).
 */
final class BoringSslEngines {
    /** {@code jdk} keeps the JDK's engine even where BoringSSL is there. */
    static final String ENGINE_PROPERTY = "ferry.tls.engine";
    private static final System.Logger LOG = System.getLogger(BoringSslEngines.class.getName());
    private static final String[] PROTOCOLS = {"TLSv1.3"};
    private static final Map<TlsKeys, SslContext[]> CONTEXTS = new WeakHashMap<>();

    private BoringSslEngines() {
    }

    /** Whether BoringSSL is on the class path, loads on this platform, and was not turned off. */
    static boolean available() {
        final String asked = System.getProperty(ENGINE_PROPERTY, "");
        if ("jdk".equalsIgnoreCase(asked)) {
            return false;
        }
        if (!Probe.AVAILABLE) {
            Probe.warnOnce();
        }
        return Probe.AVAILABLE;
    }

    /** Loaded on first use: the class lookup and the native library's load, once per JVM. */
    private static final class Probe {
        /** Why BoringSSL is not available (set by {@link #probe}, which runs after this line). */
        static volatile String CAUSE = "not probed";
        static final boolean AVAILABLE = probe();

        private static volatile boolean warned;

        static void warnOnce() {
            if (!warned) {
                warned = true;
                LOG.log(System.Logger.Level.WARNING, "BoringSSL's TLS engine (netty-tcnative) is not on the class path " +
                    "or does not load here (" + Probe.CAUSE + "); using the JDK's, whose cipher needs C2 (a JVM run " +
                    "with -XX:TieredStopAtLevel=1, as ferry's launcher runs it, should say -D" + ENGINE_PROPERTY +
                    "=jdk: then the launcher keeps C2)");
            }
        }

        private static boolean probe() {
            try {
                Class.forName("io.netty.handler.ssl.OpenSsl", false, BoringSslEngines.class.getClassLoader());
                final boolean available = OpenSsl.isAvailable(); // the static BoringSSL build, which speaks TLS 1.3
                CAUSE = available ? "loaded" : String.valueOf(OpenSsl.unavailabilityCause());
                return available;
            } catch (final ClassNotFoundException | LinkageError ex) {
                CAUSE = String.valueOf(ex);
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

    /** Makes the contexts of {@code keys} now (see {@link TlsEngines#prepareInBackground}). */
    static void prepare(final TlsKeys keys) throws SSLException {
        contexts(keys);
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
