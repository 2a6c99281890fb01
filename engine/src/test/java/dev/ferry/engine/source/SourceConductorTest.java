package dev.ferry.engine.source;

import dev.ferry.engine.ErrorCode;
import dev.ferry.engine.FerryException;
import dev.ferry.engine.GuestControl;
import dev.ferry.engine.MigrationResult;
import dev.ferry.engine.MigrationSource;
import dev.ferry.engine.MigrationStatus;
import dev.ferry.engine.Secret;
import dev.ferry.engine.channel.TestMessages;
import dev.ferry.engine.protocol.MessageFlyweight;
import dev.ferry.engine.stats.Counters;
import dev.ferry.engine.stats.CountersFile;
import dev.ferry.memory.GuestMemory;
import dev.ferry.memory.RamBlock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The source conductor stepped without a destination, the way Aeron's DriverConductorTest drives its conductor:
 * the test walks it through its states, posts what the destination and the channels would, and finishes it. What
 * it checks is the outcome and what becomes of the guest: resumed after a failure before APPLIED, left paused (and
 * the outcome unknown) after APPLIED unless the destination said it discarded its copy.
 */
@Timeout(20)
final class SourceConductorTest {
    private final List<String> guestCalls = new CopyOnWriteArrayList<>();
    private final GuestControl guest = new GuestControl() {
        @Override
        public void pause() {
            guestCalls.add("pause");
        }

        @Override
        public void resume() {
            guestCalls.add("resume");
        }
    };
    private GuestMemory memory;
    private Counters counters;
    private SourceConductor conductor;

    @BeforeEach
    void create() {
        memory = GuestMemory.of(RamBlock.anonymous(0, "ram", 16 * 4096, 4096));
        counters = new Counters(CountersFile.inMemory("source", Counters.capacity(2)));
        conductor = new SourceConductor(new MigrationSource.Context().destination(new InetSocketAddress("127.0.0.1", 9))
            .memory(memory).guestControl(guest).secret(Secret.of(new byte[32])).conclude(), counters);
    }

    @AfterEach
    void close() {
        counters.close();
        memory.close();
    }

    @Test
    void aCancelBeforeConnectingEndsCancelledAndLeavesTheGuestAlone() {
        conductor.cancel("cancelled by the operator");
        final MigrationResult result = finish();
        assertEquals(MigrationStatus.CANCELLED, result.status());
        assertEquals("cancelled by the operator", result.error());
        assertEquals(List.of(), guestCalls);
    }

    @Test
    void aFailureAfterThePauseButBeforeAppliedResumesTheGuest() {
        conductor.pause(ConvergencePolicy.Reason.FORCED, 0);
        conductor.inbox().post(new SourceEvent.ChannelFailed(1, new FerryException(ErrorCode.PROTOCOL_VIOLATION,
            "data channel 1: bad")), true);
        final MigrationResult result = finish();
        assertEquals(MigrationStatus.FAILED, result.status());
        assertEquals(ErrorCode.PROTOCOL_VIOLATION, result.errorCode());
        assertEquals(List.of("pause", "resume"), guestCalls);
    }

    @Test
    void aFailureAfterAppliedLeavesTheGuestPausedAndTheOutcomeUnknown() {
        walkToApplied();
        conductor.inbox().post(new SourceEvent.Failed(new FerryException(ErrorCode.TIMEOUT, "no RESULT")), true);
        final MigrationResult result = finish();
        assertEquals(MigrationStatus.UNKNOWN, result.status());
        assertEquals(ErrorCode.TIMEOUT, result.errorCode());
        assertEquals(List.of("pause"), guestCalls, "two running copies are the worst outcome: the guest stays paused");
    }

    @Test
    void theDestinationDiscardingItsCopyAfterAppliedFailsTheMigrationAndResumesTheGuest() {
        walkToApplied();
        conductor.inbox().post(new SourceEvent.PeerMessage(TestMessages.status(MessageFlyweight.ERROR, ErrorCode.MEMORY.id(),
            "cannot place the guest")), true);
        final MigrationResult result = finish();
        assertEquals(MigrationStatus.FAILED, result.status());
        assertEquals("destination: cannot place the guest", result.error());
        assertEquals(List.of("pause", "resume"), guestCalls);
    }

    /** Paused, COMPLETE sent, APPLIED received: the destination holds every page. */
    private void walkToApplied() {
        conductor.pause(ConvergencePolicy.Reason.DOWNTIME_LIMIT, 2);
        conductor.transition(SourceState.COMPLETING);
        conductor.inbox().post(new SourceEvent.PeerMessage(TestMessages.status(MessageFlyweight.APPLIED, 0, "")), false);
    }

    private MigrationResult finish() {
        conductor.finish();
        return conductor.result().join();
    }

}
