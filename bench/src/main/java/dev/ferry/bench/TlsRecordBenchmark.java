package dev.ferry.bench;

import dev.ferry.bench.e2e.KeytoolPair;
import dev.ferry.engine.TlsFiles;
import dev.ferry.engine.channel.TlsEngines;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManagerFactory;

/**
 * Where TLS's time goes per byte, without sockets: one 512 KiB packet (Ferry's packet of 128 pages) wrapped by a
 * client {@link SSLEngine} and unwrapped by its server peer, both the JDK's TLS 1.3 engines from the same contexts the
 * CLI makes (mutual TLS, EC P-256, AES-GCM), or BoringSSL's through netty-tcnative with the same keys, with direct or
 * heap buffers on each side; beside it the JDK's cipher alone
 * ({@code AES/GCM/NoPadding}, a fresh nonce per 16 KiB record, as TLS uses it) encrypting the same bytes. GB/s =
 * 524288 / score(ns). Run under C2 and under C1 ({@code -jvmArgs -XX:TieredStopAtLevel=1}) to see what the
 * launcher's C1 would cost TLS.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--add-opens=java.base/jdk.internal.misc=ALL-UNNAMED")
@State(Scope.Thread)
public class TlsRecordBenchmark {
    private static final int PACKET = 512 * 1024;
    private static final int RECORD = 16 * 1024;
    private static final String PASSWORD = "ferry-benchmark";

    @Param({"direct", "heap"})
    public String buffers;

    /** jdk: the JDK's engines, as Ferry uses them; boringssl: netty-tcnative's BoringSSL engines, same keys. */
    @Param({"jdk", "boringssl"})
    public String provider;

    private SSLEngine client;
    private SSLEngine server;
    private ByteBuffer plain;
    private ByteBuffer net;
    private ByteBuffer received;
    private Path keys;
    private Cipher cipher;
    private SecretKeySpec key;
    private final byte[] nonce = new byte[12];
    private byte[] record;
    private byte[] sealed;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        keys = Files.createTempDirectory("ferry-tls-bench");
        KeytoolPair.make(keys, PASSWORD);
        if ("boringssl".equals(provider)) {
            client = boringSsl(false);
            server = boringSsl(true);
        } else {
            final SSLContext clientContext = TlsFiles.context(keys.resolve("source.p12"),
                keys.resolve("source-trust.p12"), PASSWORD.toCharArray());
            final SSLContext serverContext = TlsFiles.context(keys.resolve("destination.p12"),
                keys.resolve("destination-trust.p12"), PASSWORD.toCharArray());
            client = TlsEngines.client(clientContext, new InetSocketAddress("127.0.0.1", 7000));
            server = TlsEngines.server(serverContext);
        }
        final boolean direct = "direct".equals(buffers);
        plain = allocate(PACKET, direct);
        final byte[] bytes = new byte[PACKET];
        ThreadLocalRandom.current().nextBytes(bytes);
        plain.put(bytes).flip();
        net = allocate(PACKET + 64 * client.getSession().getPacketBufferSize() / 16, direct);
        received = allocate(PACKET + server.getSession().getApplicationBufferSize(), direct);
        handshake();
        cipher = Cipher.getInstance("AES/GCM/NoPadding");
        key = new SecretKeySpec(new byte[16], "AES");
        record = new byte[RECORD];
        sealed = new byte[RECORD + 16];
    }

    /** A BoringSSL engine (netty-tcnative) with the same key store, trust store and TLS 1.3 as the JDK's. */
    private SSLEngine boringSsl(final boolean serverSide) throws Exception {
        if (!OpenSsl.isAvailable()) {
            throw new IllegalStateException("BoringSSL is not available: " + OpenSsl.unavailabilityCause());
        }
        final String side = serverSide ? "destination" : "source";
        final KeyStore keyStore = KeyStore.getInstance("PKCS12");
        try (var in = Files.newInputStream(keys.resolve(side + ".p12"))) {
            keyStore.load(in, PASSWORD.toCharArray());
        }
        final KeyStore trustStore = KeyStore.getInstance("PKCS12");
        try (var in = Files.newInputStream(keys.resolve(side + "-trust.p12"))) {
            trustStore.load(in, PASSWORD.toCharArray());
        }
        final KeyManagerFactory keyManagers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keyManagers.init(keyStore, PASSWORD.toCharArray());
        final TrustManagerFactory trustManagers = TrustManagerFactory.getInstance(
            TrustManagerFactory.getDefaultAlgorithm());
        trustManagers.init(trustStore);
        final SslContextBuilder builder = serverSide ? SslContextBuilder.forServer(keyManagers)
            .clientAuth(ClientAuth.REQUIRE) : SslContextBuilder.forClient().keyManager(keyManagers);
        final SslContext context = builder.trustManager(trustManagers).sslProvider(SslProvider.OPENSSL)
            .protocols("TLSv1.3").build();
        final SSLEngine engine = serverSide ? context.newEngine(ByteBufAllocator.DEFAULT) :
            context.newEngine(ByteBufAllocator.DEFAULT, "127.0.0.1", 7000);
        final SSLParameters parameters = engine.getSSLParameters();
        parameters.setEndpointIdentificationAlgorithm(null); // as Ferry's own engines: the peer is pinned by trust
        engine.setSSLParameters(parameters);
        return engine;
    }

    private static ByteBuffer allocate(final int bytes, final boolean direct) {
        return direct ? ByteBuffer.allocateDirect(bytes) : ByteBuffer.allocate(bytes);
    }

    private void handshake() throws Exception {
        final ByteBuffer toServer = ByteBuffer.allocate(1 << 17);
        final ByteBuffer toClient = ByteBuffer.allocate(1 << 17);
        final ByteBuffer scratch = ByteBuffer.allocate(1 << 17);
        final ByteBuffer empty = ByteBuffer.allocate(0);
        client.beginHandshake();
        server.beginHandshake();
        for (int step = 0; step < 100 && !(done(client) && done(server)); step++) {
            drive(client, empty, toServer, toClient, scratch);
            drive(server, empty, toClient, toServer, scratch);
        }
        if (!done(client) || !done(server)) {
            throw new IllegalStateException("TLS handshake did not finish");
        }
    }

    private static boolean done(final SSLEngine engine) {
        final SSLEngineResult.HandshakeStatus status = engine.getHandshakeStatus();
        return status == SSLEngineResult.HandshakeStatus.NOT_HANDSHAKING;
    }

    /** One step of {@code engine}'s handshake: wrap into {@code out}, or unwrap from {@code in}, or run tasks. */
    private static void drive(final SSLEngine engine, final ByteBuffer empty, final ByteBuffer out, final ByteBuffer in,
        final ByteBuffer scratch) throws Exception {
        switch (engine.getHandshakeStatus()) {
            case NEED_WRAP -> engine.wrap(empty, out);
            case NEED_TASK -> {
                Runnable task;
                while (null != (task = engine.getDelegatedTask())) {
                    task.run();
                }
            }
            case NEED_UNWRAP, NEED_UNWRAP_AGAIN -> {
                in.flip();
                scratch.clear();
                engine.unwrap(in, scratch);
                in.compact();
            }
            default -> {
            }
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        for (final String file : KeytoolPair.FILES) {
            Files.deleteIfExists(keys.resolve(file));
        }
        Files.deleteIfExists(keys);
    }

    /** 512 KiB through the client's wrap only (the sender's share). */
    @Benchmark
    public int wrap() throws Exception {
        wrapPacket();
        return net.position();
    }

    private void wrapPacket() throws Exception {
        plain.rewind();
        net.clear();
        while (plain.hasRemaining()) {
            client.wrap(plain, net);
        }
    }

    /** 512 KiB wrapped by the client and unwrapped by the server (both shares, one core). */
    @Benchmark
    public int wrapAndUnwrap() throws Exception {
        wrapPacket();
        net.flip();
        received.clear();
        while (net.hasRemaining()) {
            server.unwrap(net, received);
        }
        return received.position();
    }

    /** The cipher alone: 32 records of 16 KiB sealed, each with a fresh nonce, as TLS 1.3 does (heap arrays). */
    @Benchmark
    public int cipherOnly() throws Exception {
        int bytes = 0;
        for (int r = 0; r < PACKET / RECORD; r++) {
            nonce[11] = (byte)r;
            nonce[10]++;
            cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(128, nonce));
            bytes += cipher.doFinal(record, 0, RECORD, sealed, 0);
        }
        return bytes;
    }
}
