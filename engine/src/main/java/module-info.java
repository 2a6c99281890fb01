/**
 * Ferry's migration engine. Embedders use one package, {@code dev.ferry.engine}: the two facades, their Contexts
 * and the types they take and give. Everything else is internal and not exported. picocli (the CLI), netty
 * (BoringSSL's TLS engine), and Jetty, Jackson and the Prometheus client (the daemon) are optional: the CLI's jar
 * carries them, an embedder receives none of them.
 */
module dev.ferry.engine {
    requires transitive dev.ferry.memory;
    requires transitive org.agrona;
    requires jdk.unsupported;
    requires org.jctools.core;
    requires HdrHistogram;
    requires com.github.luben.zstd_jni;
    requires java.management;
    requires jdk.jfr;
    requires jdk.security.auth;
    requires static info.picocli;
    requires static io.netty.buffer;
    requires static io.netty.handler;
    requires static org.eclipse.jetty.server;
    requires static org.eclipse.jetty.unixdomain.server;
    requires static org.eclipse.jetty.client;
    requires static org.eclipse.jetty.io;
    requires static org.eclipse.jetty.util;
    requires static org.eclipse.jetty.http;
    requires static com.fasterxml.jackson.databind;
    requires static io.prometheus.metrics.core;
    requires static io.prometheus.metrics.model;
    requires static io.prometheus.metrics.config;
    requires static io.prometheus.writer.text;

    exports dev.ferry.engine;
    opens dev.ferry.engine.cli to info.picocli;
}
