package dev.ferry.engine;

import dev.ferry.engine.destination.PageApplyListener;

/**
 * The destination's test hooks for tests outside this package (they are package-private on the Context, and not
 * API): a listener told of every page applied.
 */
public final class TestHooks {
    private TestHooks() {
    }

    /** {@code context} with {@code listener} told of every normal page applied. */
    public static MigrationDestination.Context pageApplyListener(final MigrationDestination.Context context,
        final PageApplyListener listener) {
        return context.pageApplyListener(listener);
    }
}
