package dev.ferry.engine.source;

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
 * Everything the source engine needs, validated: made by {@code MigrationSource.Context.conclude()}, so the engine
 * never sees the public API's types and the packages depend one way.
 *
 * @param destination          where the destination listens: a TCP address or a Unix-domain socket.
 * @param memory               the guest's memory.
 * @param guest                pauses, resumes and throttles the guest.
 * @param channels             data channels.
 * @param secret               the shared secret.
 * @param tls                  mutual TLS on every connection, or null.
 * @param verify               whether both sides digest their memory at the end.
 * @param compression          how normal pages are compressed on the data channels.
 * @param compressionLevel     the codec's level.
 * @param maxRounds            most rounds, the final one included; 0 for no limit.
 * @param switchoverDirtyBytes switch over once at most this much is dirty after a round (-1: never by this rule).
 * @param downtimeLimitMs      switch over once the dirty set fits this downtime at the measured bandwidth.
 * @param autoConverge         throttle a guest that dirties faster than the channels send.
 * @param maxBandwidthBytesPerSec the cap across all data channels, 0 for none.
 * @param timeoutMs            the migration fails if it has not switched over and been applied by then.
 * @param deviceState          supplies the device state once paused, or null.
 * @param queueCapacity        packets in flight per channel.
 * @param connectTimeoutMs     longest wait to connect and authenticate a connection.
 * @param barrierTimeoutMs     longest wait for every channel to write its SYNC, or for a free packet.
 * @param appliedTimeoutMs     longest wait for SETUP-ACK and for APPLIED.
 * @param resultTimeoutMs      longest wait for RESULT.
 * @param digestThreads        threads digesting memory for verification.
 * @param threadFactory        makes every thread of the engine.
 * @param idleStrategy         makes the idle strategy of each sender and of the conductor's waits.
 * @param countersDirectory    where the counters file goes, or null to keep counters in memory.
 */
public record SourceConfig(
    SocketAddress destination,
    GuestMemory memory,
    GuestControl guest,
    int channels,
    Secret secret,
    SSLContext tls,
    VerifyMode verify,
    Compression compression,
    int compressionLevel,
    int maxRounds,
    long switchoverDirtyBytes,
    long downtimeLimitMs,
    boolean autoConverge,
    long maxBandwidthBytesPerSec,
    long timeoutMs,
    Supplier<byte[]> deviceState,
    int queueCapacity,
    long connectTimeoutMs,
    long barrierTimeoutMs,
    long appliedTimeoutMs,
    long resultTimeoutMs,
    int digestThreads,
    ThreadFactory threadFactory,
    Supplier<IdleStrategy> idleStrategy,
    Path countersDirectory) {
}
