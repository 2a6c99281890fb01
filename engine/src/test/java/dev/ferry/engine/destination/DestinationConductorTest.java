package dev.ferry.engine.destination;

import dev.ferry.engine.ErrorCode;
import dev.ferry.engine.FerryException;
import dev.ferry.engine.MigrationDestination;
import dev.ferry.engine.MigrationResult;
import dev.ferry.engine.MigrationStatus;
import dev.ferry.engine.Secret;
import dev.ferry.engine.channel.TestMessages;
import dev.ferry.engine.channel.Watchdog;
import dev.ferry.engine.protocol.MessageFlyweight;
import dev.ferry.engine.stats.CounterDescriptor;
import dev.ferry.engine.stats.Counters;
import dev.ferry.engine.stats.CountersFile;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetSocketAddress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The destination conductor stepped event by event, without a source, the way Aeron's DriverConductorTest drives
 * its conductor: each test hands it the events its inbox would deliver, in one order a migration can meet, and
 * finishes it. A real door (bound to loopback) is closed at the end, as in a migration.
 */
@Timeout(20)
final class DestinationConductorTest {
    private Counters counters;
    private Watchdog watchdog;
    private DestinationConductor conductor;

    @BeforeEach
    void create() throws Exception {
        final MigrationDestination.Context config = new MigrationDestination.Context()
            .listen(new InetSocketAddress("127.0.0.1", 0)).secret(Secret.of(new byte[32])).conclude();
        counters = new Counters(CountersFile.inMemory("destination", Counters.capacity(2)));
        watchdog = new Watchdog(Thread::new);
        conductor = new DestinationConductor(config, DestinationHooks.NONE, counters, watchdog);
        conductor.admission(new Admission(config, watchdog, conductor,
            counters.allocate(CounterDescriptor.REJECTED_CONNECTIONS), new SessionRules(SessionRules.ONCE)));
    }

    @AfterEach
    void close() {
        watchdog.close();
        counters.close();
    }

    @Test
    void aCancelBeforeTheSourceConnectsEndsCancelledWithNoMemory() {
        assertFalse(conductor.onEvent(new DestinationEvent.Cancel("cancelled by the operator")));
        final MigrationResult result = finish();
        assertEquals(MigrationStatus.CANCELLED, result.status());
        assertEquals("cancelled by the operator", result.error());
        assertNull(result.memory());
    }

    @Test
    void theMainChannelClosedBeforeTheEndIsContactLost() {
        conductor.onEvent(new DestinationEvent.MainLost(null));
        final MigrationResult result = finish();
        assertEquals(ErrorCode.CONTACT_LOST, result.errorCode());
        assertEquals("the source closed the main channel before the migration ended", result.error());
    }

    @Test
    void aLostDataChannelYieldsToTheSourcesReason() {
        conductor.onEvent(new DestinationEvent.ChannelLost(1, "failed: connection reset"));
        conductor.onEvent(new DestinationEvent.PeerMessage(TestMessages.status(MessageFlyweight.CANCEL, ErrorCode.CANCELLED.id(),
            "cancelled by the embedder")));
        final MigrationResult result = finish();
        assertEquals(MigrationStatus.CANCELLED, result.status());
        assertEquals("source: cancelled by the embedder", result.error());
    }

    @Test
    void aFailureFoundByAReceiverIsFinalAtOnceUnlessTheSourceMayExplainIt() {
        conductor.onEvent(new DestinationEvent.Failed(new FerryException(ErrorCode.TIMEOUT, "nothing for 60000 ms")));
        conductor.onEvent(new DestinationEvent.Failed(new FerryException(ErrorCode.PROTOCOL_VIOLATION,
            "data channel 0: bad round")));
        final MigrationResult result = finish();
        assertEquals(ErrorCode.PROTOCOL_VIOLATION, result.errorCode(), "the timeout waits for the source's reason");
    }

    @Test
    void aSecondMainChannelIsAViolation() {
        conductor.onEvent(new DestinationEvent.MainConnected(null));
        final MigrationResult result = finish();
        assertEquals(ErrorCode.PROTOCOL_VIOLATION, result.errorCode());
        assertEquals("a second main channel", result.error());
        assertTrue(conductor.isFinished());
    }

    private MigrationResult finish() {
        conductor.finish();
        return conductor.result().join();
    }

}
