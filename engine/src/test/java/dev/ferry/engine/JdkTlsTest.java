package dev.ferry.engine;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** Every {@link TlsTest} case through the JDK's TLS engine ({@code -Dferry.tls.engine=jdk}), the fallback. */
final class JdkTlsTest extends TlsTest {
    @BeforeAll
    static void jdkEngine() {
        System.setProperty("ferry.tls.engine", "jdk");
    }

    @AfterAll
    static void defaultEngine() {
        System.clearProperty("ferry.tls.engine");
    }
}
