package dev.ferry.engine.source;

import dev.ferry.engine.MigrationStatus;
import org.junit.jupiter.api.Test;

import java.util.EnumSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The source's state machine: forward only, every live state can fail or be cancelled, the ends are final. */
final class SourceStateTest {
    @Test
    void everyLiveStateCanFailAndTheEndsAreFinal() {
        for (final SourceState state : SourceState.values()) {
            if (state.isTerminal()) {
                assertTrue(state.next().isEmpty(), state + " must be final");
            } else {
                assertTrue(state.next().containsAll(EnumSet.of(SourceState.FAILED, SourceState.CANCELLED)), state.name());
                for (final SourceState next : state.next()) {
                    assertTrue(next.ordinal() > state.ordinal(), state + " -> " + next + " goes backwards");
                }
            }
        }
    }

    @Test
    void unknownOnlyOnceTheDestinationMayHoldEveryPage() {
        for (final SourceState state : SourceState.values()) {
            final boolean mayBeUnknown = state == SourceState.COMPLETING || state == SourceState.VERIFYING;
            assertEquals(mayBeUnknown, state.next().contains(SourceState.UNKNOWN), state.name());
        }
        assertFalse(SourceState.ACTIVE.next().contains(SourceState.COMPLETED));
        assertEquals(MigrationStatus.DEVICE, SourceState.COMPLETING.status());
    }
}
