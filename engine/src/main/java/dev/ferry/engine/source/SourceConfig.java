package dev.ferry.engine.source;

import dev.ferry.engine.BandwidthBudget;
import dev.ferry.engine.Compression;
import dev.ferry.engine.GuestControl;
import dev.ferry.engine.Secret;
import dev.ferry.engine.VerifyMode;
import dev.ferry.memory.GuestMemory;
import org.agrona.concurrent.IdleStrategy;

import java.net.SocketAddress;
import java.nio.file.Path;
import java.util.concurrent.ThreadFactory;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;

/**
 * The source engine's read-only view of a concluded {@code MigrationSource.Context}, which implements it: each
 * option has one name, the Context's, and one default, the Context's; the engine reads it through this view and
 * never through the API's setters, and nothing here is a test hook.
 */
public interface SourceConfig {
    /** Where the destination listens: a TCP address or a Unix-domain socket. */
    SocketAddress destination();

    /** The guest's name, which the destination places it by. */
    String name();

    GuestMemory memory();

    /** Pauses, resumes and throttles the guest. */
    GuestControl guestControl();

    /** Data channels. */
    int channels();

    Secret secret();

    /** Mutual TLS on every connection, or null. */
    SSLContext tls();

    /** Whether both sides digest their memory at the end. */
    VerifyMode verify();

    /** How normal pages are compressed on the data channels. */
    Compression compression();

    /** The codec's level: the one given, or the codec's default. */
    int effectiveCompressionLevel();

    /** Most rounds, the final one included; 0 for no limit. */
    int maxRounds();

    /** Switch over once at most this much is dirty after a round (-1: never by this rule). */
    long switchoverDirtyBytes();

    /** Switch over once the dirty set fits this downtime at the measured bandwidth. */
    long downtimeLimitMs();

    /** Throttle a guest that dirties faster than the channels send. */
    boolean autoConverge();

    /** The cap across all data channels, 0 for none. */
    long maxBandwidthBytesPerSec();

    /** A cap shared with other migrations, or null. */
    BandwidthBudget bandwidthBudget();

    /** This migration's weight in its share of {@link #bandwidthBudget()}. */
    int bandwidthWeight();

    /** The migration fails if it has not switched over and been applied by then. */
    long timeoutMs();

    /** Supplies the device state once paused, or null. */
    Supplier<byte[]> deviceState();

    /** Packets in flight per channel. */
    int queueCapacity();

    /** Longest wait to connect and authenticate a connection. */
    long connectTimeoutMs();

    /** Longest wait for every channel to write its SYNC, or for a free packet. */
    long barrierTimeoutMs();

    /** Longest wait for SETUP-ACK and for APPLIED. */
    long appliedTimeoutMs();

    /** Longest wait for RESULT. */
    long resultTimeoutMs();

    /** Threads digesting memory for verification. */
    int digestThreads();

    /** Makes every thread of the engine. */
    ThreadFactory threadFactory();

    /** Makes the idle strategy of each sender and of the conductor's waits. */
    Supplier<IdleStrategy> idleStrategy();

    /** Where the counters file goes, or null to keep counters in memory. */
    Path countersDirectory();
}
