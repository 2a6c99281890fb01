package dev.ferry.engine.destination;

import dev.ferry.engine.MemoryFactory;
import dev.ferry.engine.Secret;
import dev.ferry.engine.VerifyMode;
import org.agrona.concurrent.IdleStrategy;

import java.net.SocketAddress;
import java.nio.file.Path;
import java.util.concurrent.ThreadFactory;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;

/**
 * The destination engine's read-only view of a concluded {@code MigrationDestination.Context}, which implements
 * it: each option has one name, the Context's, and one default, the Context's. Test hooks are not here: they are
 * {@link DestinationHooks}, handed to the engine beside it.
 */
public interface DestinationConfig {
    /** Where to listen. */
    SocketAddress listen();

    /** Creates the guest's memory from SETUP and discards it after a failure, unless {@link #memoryFor} says else. */
    MemoryFactory memoryFactory();

    /** The factory for the guest of each name, or null for a guest this destination does not take. */
    Function<String, MemoryFactory> memoryFor();

    Secret secret();

    /** Mutual TLS on every connection, or null. */
    SSLContext tls();

    /** Whether both sides digest their memory at the end. */
    VerifyMode verify();

    /** Receives the device state before APPLIED, or null. */
    Consumer<byte[]> deviceStateConsumer();

    /** Where non-fatal events go. */
    Consumer<String> warnings();

    /** Longest handshake. */
    long handshakeTimeoutMs();

    /** Longest wait for a new connection's first message (HELLO). */
    long firstBytesTimeoutMs();

    /** Longest wait at the SYNC/FLUSH barrier. */
    long barrierTimeoutMs();

    /** Longest wait for VERIFY, and for the digest. */
    long verifyTimeoutMs();

    /** Fail when nothing arrives for this long. */
    long idleTimeoutMs();

    /** Threads digesting memory for verification. */
    int digestThreads();

    /** Unauthenticated connections handled at once. */
    int maxPendingHandshakes();

    /** Makes every thread of the engine. */
    ThreadFactory threadFactory();

    /** Makes the idle strategy of the conductor's waits. */
    Supplier<IdleStrategy> idleStrategy();

    /** Where the counters file goes, or null to keep counters in memory. */
    Path countersDirectory();
}
