package dev.ferry.engine.source;

import dev.ferry.engine.MigrationStatus;
import dev.ferry.engine.conductor.Lifecycle;

import java.util.EnumSet;
import java.util.Set;

/**
 * The source's states, in order, and the transitions allowed between them. Only the conductor changes state, in
 * one method that checks each transition against {@link #next()}: an illegal one is a bug and fails the migration.
 */
enum SourceState implements Lifecycle.State<SourceState> {
    CONNECTING(MigrationStatus.SETUP),
    ACTIVE(MigrationStatus.ACTIVE),
    /** The guest is paused; the final round is on its way. */
    SWITCHOVER(MigrationStatus.ACTIVE),
    /** Device state and COMPLETE are sent; waiting for APPLIED. */
    COMPLETING(MigrationStatus.DEVICE),
    VERIFYING(MigrationStatus.VERIFYING),
    COMPLETED(MigrationStatus.COMPLETED),
    FAILED(MigrationStatus.FAILED),
    CANCELLED(MigrationStatus.CANCELLED),
    UNKNOWN(MigrationStatus.UNKNOWN);

    private final MigrationStatus status;

    SourceState(final MigrationStatus status) {
        this.status = status;
    }

    @Override
    public MigrationStatus status() {
        return status;
    }

    boolean isTerminal() {
        return ordinal() >= COMPLETED.ordinal();
    }

    @Override
    public Set<SourceState> next() {
        final Set<SourceState> ends = EnumSet.of(FAILED, CANCELLED);
        switch (this) {
            case CONNECTING:
                ends.addAll(EnumSet.of(ACTIVE, SWITCHOVER));
                return ends;
            case ACTIVE:
                ends.add(SWITCHOVER);
                return ends;
            case SWITCHOVER:
                ends.add(COMPLETING);
                return ends;
            case COMPLETING:
                ends.addAll(EnumSet.of(VERIFYING, UNKNOWN));
                return ends;
            case VERIFYING:
                ends.addAll(EnumSet.of(COMPLETED, UNKNOWN));
                return ends;
            default:
                return EnumSet.noneOf(SourceState.class);
        }
    }
}
