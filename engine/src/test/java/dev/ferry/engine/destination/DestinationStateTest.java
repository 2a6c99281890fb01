package dev.ferry.engine.destination;

import org.junit.jupiter.api.Test;

import java.util.EnumSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The destination's state machine: one path forward, every live state can fail or be cancelled. */
final class DestinationStateTest {
    @Test
    void onePathForwardAndFailureFromEveryLiveState() {
        final EnumSet<DestinationState> ends = EnumSet.of(DestinationState.COMPLETED, DestinationState.FAILED,
            DestinationState.CANCELLED);
        DestinationState state = DestinationState.LISTENING;
        int steps = 0;
        while (!ends.contains(state)) {
            assertTrue(state.next().containsAll(EnumSet.of(DestinationState.FAILED, DestinationState.CANCELLED)),
                state.name());
            final DestinationState current = state;
            state = state.next().stream().filter(s -> !ends.contains(s) || s == DestinationState.COMPLETED)
                .filter(s -> s != current).findFirst().orElseThrow();
            steps++;
        }
        assertEquals(DestinationState.COMPLETED, state);
        assertEquals(5, steps, "listening, setup, active, device, verifying");
        for (final DestinationState end : ends) {
            assertTrue(end.next().isEmpty(), end.name());
        }
    }
}
