package dev.ferry.engine.conductor;

import dev.ferry.engine.ErrorCode;
import dev.ferry.engine.FerryException;
import dev.ferry.engine.MigrationResult;
import dev.ferry.engine.MigrationStatus;
import dev.ferry.engine.channel.Watchdog;
import dev.ferry.engine.stats.Counters;
import dev.ferry.engine.stats.CountersFile;
import dev.ferry.memory.GuestMemory;
import dev.ferry.memory.RamBlock;
import org.agrona.concurrent.SystemNanoClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.Executors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The states and the end both conductors share, stepped without a migration. */
final class LifecycleTest {
    /** A side of three states: START may go to RUNNING or FAILED, RUNNING to DONE or FAILED. */
    enum Step implements Lifecycle.State<Step> {
        START(MigrationStatus.SETUP), RUNNING(MigrationStatus.ACTIVE), DONE(MigrationStatus.COMPLETED),
        FAILED(MigrationStatus.FAILED);

        private final MigrationStatus status;

        Step(final MigrationStatus status) {
            this.status = status;
        }

        @Override
        public MigrationStatus status() {
            return status;
        }

        @Override
        public Set<Step> next() {
            switch (this) {
                case START:
                    return EnumSet.of(RUNNING, FAILED);
                case RUNNING:
                    return EnumSet.of(DONE, FAILED);
                default:
                    return EnumSet.noneOf(Step.class);
            }
        }
    }

    private final Counters counters = new Counters(CountersFile.inMemory("source", Counters.capacity(1)));
    private final Outcome failures = new Outcome(SystemNanoClock.INSTANCE);
    private final Watchdog watchdog = new Watchdog(Executors.defaultThreadFactory());
    private final Lifecycle<Step> lifecycle = new Lifecycle<>("source", Step.START, counters, failures, watchdog, () -> 7);

    @AfterEach
    void close() {
        watchdog.close();
        counters.close();
    }

    @Test
    void aTransitionTheStateDoesNotAllowIsABug() {
        final FerryException bug = assertThrows(FerryException.class, () -> lifecycle.transition(Step.DONE));
        assertEquals(ErrorCode.INTERNAL, bug.code());
        assertEquals("illegal source transition START -> DONE", bug.getMessage());
        lifecycle.transition(Step.RUNNING);
        assertEquals(Step.RUNNING, lifecycle.state());
        assertEquals("active", lifecycle.stats(false, null).status());
    }

    @Test
    void aCompletedMigrationHandsItsMemoryOverAfterTheRelease() {
        final StringBuilder order = new StringBuilder();
        lifecycle.result().thenRun(() -> order.append("result "));
        lifecycle.transition(Step.RUNNING);
        try (GuestMemory memory = GuestMemory.of(RamBlock.anonymous(0, "ram", 4096, 4096))) {
            lifecycle.finish(Step.DONE, null, () -> order.append("release "), true, memory, null);
            final MigrationResult result = lifecycle.result().join();
            assertEquals("release result ", order.toString());
            assertEquals(MigrationStatus.COMPLETED, result.status());
            assertTrue(result.verified());
            assertEquals(ErrorCode.NONE, result.errorCode());
            assertSame(memory, result.memory());
            assertEquals(7, result.stats().transferredBytes(), "the main channel's bytes count");
        }
    }

    @Test
    void aFailedMigrationReportsItsCauseAndKeepsNoMemory() {
        failures.record(new FerryException(ErrorCode.TIMEOUT, "no APPLIED from the destination within 5 ms"));
        try (GuestMemory memory = GuestMemory.of(RamBlock.anonymous(0, "ram", 4096, 4096))) {
            lifecycle.finish(Step.FAILED, null, () -> { }, false, memory, null);
            final MigrationResult result = lifecycle.result().join();
            assertEquals(MigrationStatus.FAILED, result.status());
            assertEquals(ErrorCode.TIMEOUT, result.errorCode());
            assertEquals("no APPLIED from the destination within 5 ms", result.error());
            assertNull(result.memory());
            assertEquals("TIMEOUT", lifecycle.stats(false, null).errorCode());
        }
    }

    @Test
    void anIllegalLastTransitionStillPublishesTheOutcome() {
        lifecycle.finish(Step.DONE, null, () -> { }, false, null, null);
        assertEquals(MigrationStatus.COMPLETED, lifecycle.result().join().status());
        assertEquals(Step.DONE, lifecycle.state());
        assertFalse(lifecycle.result().isCompletedExceptionally());
    }
}
