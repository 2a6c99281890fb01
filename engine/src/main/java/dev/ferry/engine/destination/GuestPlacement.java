package dev.ferry.engine.destination;

import dev.ferry.engine.ErrorCode;
import dev.ferry.engine.FerryException;
import dev.ferry.engine.MemoryFactory;
import dev.ferry.memory.GuestMemory;
import dev.ferry.memory.MemoryException;

import java.util.function.Consumer;

/**
 * Where the received guest ends: put in place by its factory once it is complete and verified, just before the
 * source is told (so "verified" is never said of a guest that is not where it belongs), or discarded after a
 * failure. A guest already put in place stays when the migration fails afterwards (RESULT could not be sent): it is
 * verified, and the source, which never heard RESULT, leaves its own copy paused as an unknown outcome.
 */
final class GuestPlacement {
    private final Consumer<String> warnings;
    private volatile MemoryFactory factory;
    private volatile boolean committed;

    GuestPlacement(final MemoryFactory factory, final Consumer<String> warnings) {
        this.factory = factory;
        this.warnings = warnings;
    }

    /** At SETUP: the factory chosen for the guest's name, which places or discards what it made. */
    void use(final MemoryFactory chosen) {
        this.factory = chosen;
    }

    /** On the conductor, once verified: puts {@code memory} in place. */
    void commit(final GuestMemory memory) {
        try {
            factory.commit(memory);
            committed = true;
        } catch (final MemoryException ex) {
            throw new FerryException(ErrorCode.MEMORY, ex.getMessage());
        }
    }

    /**
     * On the conductor, at the very end: {@code memory} (null when no SETUP made any) is kept (no {@code cause}),
     * left in place (committed before the failure), or discarded; only once every thread that used it has stopped
     * ({@code joined}), else it is left mapped with a warning.
     */
    void end(final GuestMemory memory, final FerryException cause, final boolean joined) {
        if (null == memory) {
            factory.discardUnused();
        } else if (null != cause && committed) {
            warnings.accept("the verified guest was put in place before the migration failed (" + cause.getMessage() +
                "); the source's outcome is unknown: check it before running the guest here");
            if (joined) {
                memory.close();
            }
        } else if (null != cause) {
            if (joined) {
                factory.discard(memory);
            } else {
                warnings.accept("a receiver did not stop; guest memory left mapped");
            }
        }
    }
}
