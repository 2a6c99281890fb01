/**
 * Ferry's migration engine. Embedders use one package, {@code dev.ferry.engine}: the two facades, their Contexts
 * and the types they take and give. Everything else is internal and not exported. picocli (the CLI) and netty
 * (BoringSSL's TLS engine) are optional: the CLI's jar carries them, an embedder receives neither.
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

    exports dev.ferry.engine;
    opens dev.ferry.engine.cli to info.picocli;
}
