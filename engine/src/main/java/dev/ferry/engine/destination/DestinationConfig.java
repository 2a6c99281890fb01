package dev.ferry.engine.destination;

import dev.ferry.engine.MemoryFactory;
import dev.ferry.engine.Secret;
import dev.ferry.engine.VerifyMode;
import dev.ferry.engine.channel.ChannelDecorator;
import org.agrona.concurrent.IdleStrategy;

import java.net.SocketAddress;
import java.nio.file.Path;
import java.util.concurrent.ThreadFactory;
import java.util.function.Consumer;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;

/**
 * Everything the destination engine needs, validated: made by {@code MigrationDestination.Context.conclude()}.
 *
 * @param listen               where to listen.
 * @param memoryFactory        creates the guest's memory from SETUP and discards it after a failure.
 * @param secret               the shared secret.
 * @param tls                  mutual TLS on every connection, or null.
 * @param verify               whether both sides digest their memory at the end.
 * @param deviceStateConsumer  receives the device state before APPLIED, or null.
 * @param warnings             where non-fatal events go.
 * @param handshakeTimeoutMs   longest handshake.
 * @param firstBytesTimeoutMs  longest wait for a new connection's first message (HELLO).
 * @param barrierTimeoutMs     longest wait at the SYNC/FLUSH barrier.
 * @param verifyTimeoutMs      longest wait for VERIFY, and for the digest.
 * @param idleTimeoutMs        fail when nothing arrives for this long.
 * @param digestThreads        threads digesting memory for verification.
 * @param maxPendingHandshakes connections in handshake at once.
 * @param pageApplyListener    told of every normal page applied, or null.
 * @param threadFactory        makes every thread of the engine.
 * @param idleStrategy         makes the idle strategy of the conductor's waits.
 * @param countersDirectory    where the counters file goes, or null to keep counters in memory.
 * @param channelDecorator     test hook: wraps each data channel's input, or null.
 * @param holdAtSync           false only in the test that proves the ordering test can fail.
 */
public record DestinationConfig(
    SocketAddress listen,
    MemoryFactory memoryFactory,
    Secret secret,
    SSLContext tls,
    VerifyMode verify,
    Consumer<byte[]> deviceStateConsumer,
    Consumer<String> warnings,
    long handshakeTimeoutMs,
    long firstBytesTimeoutMs,
    long barrierTimeoutMs,
    long verifyTimeoutMs,
    long idleTimeoutMs,
    int digestThreads,
    int maxPendingHandshakes,
    PageApplyListener pageApplyListener,
    ThreadFactory threadFactory,
    Supplier<IdleStrategy> idleStrategy,
    Path countersDirectory,
    ChannelDecorator channelDecorator,
    boolean holdAtSync) {
}
