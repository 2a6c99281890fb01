package dev.ferry.engine.destination;

import dev.ferry.engine.MigrationStatus;
import dev.ferry.engine.conductor.Lifecycle;

import java.util.EnumSet;
import java.util.Set;

/**
 * The destination's states and the transitions allowed between them. Only the conductor changes state, in one
 * method that checks each transition against {@link #next()}: an illegal one is a bug and fails the migration.
 */
enum DestinationState implements Lifecycle.State<DestinationState> {
    /** Waiting for the source's main channel. */
    LISTENING(MigrationStatus.SETUP),
    /** The main channel is up; waiting for SETUP, creating memory. */
    SETUP(MigrationStatus.SETUP),
    ACTIVE(MigrationStatus.ACTIVE),
    /** COMPLETE received: handing the device state over. */
    DEVICE(MigrationStatus.DEVICE),
    VERIFYING(MigrationStatus.VERIFYING),
    COMPLETED(MigrationStatus.COMPLETED),
    FAILED(MigrationStatus.FAILED),
    CANCELLED(MigrationStatus.CANCELLED);

    private final MigrationStatus status;

    DestinationState(final MigrationStatus status) {
        this.status = status;
    }

    @Override
    public MigrationStatus status() {
        return status;
    }

    @Override
    public Set<DestinationState> next() {
        final Set<DestinationState> ends = EnumSet.of(FAILED, CANCELLED);
        switch (this) {
            case LISTENING:
                ends.add(SETUP);
                return ends;
            case SETUP:
                ends.add(ACTIVE);
                return ends;
            case ACTIVE:
                ends.add(DEVICE);
                return ends;
            case DEVICE:
                ends.add(VERIFYING);
                return ends;
            case VERIFYING:
                ends.add(COMPLETED);
                return ends;
            default:
                return EnumSet.noneOf(DestinationState.class);
        }
    }
}
