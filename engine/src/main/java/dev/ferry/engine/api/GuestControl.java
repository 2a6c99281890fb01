package dev.ferry.engine.api;

import dev.ferry.memory.Workload;

/**
 * How the source engine controls the running guest: a VMM implements it over its vCPUs, the CLI over its
 * synthetic workload. Calls come from the migration thread, except {@link #resume()}, which may come from
 * whichever thread observes a failure.
 */
public interface GuestControl {
    /** Stops every writer of guest memory; returns only when none is mid-write. Switchover starts here. */
    void pause();

    /** Lets writers run again after a failed or cancelled migration. */
    void resume();

    /** Slows writers to (100 - percent)% of their time (auto-converge); optional. */
    default void throttle(final int percent) {
    }

    /** The synthetic {@link Workload} as a guest: paused, resumed and throttled through it. */
    static GuestControl of(final Workload workload) {
        return new GuestControl() {
            @Override
            public void pause() {
                workload.pause();
            }

            @Override
            public void resume() {
                workload.resume();
            }

            @Override
            public void throttle(final int percent) {
                workload.throttle(percent);
            }
        };
    }

    /** A guest with no writers (a quiescent memory image). */
    GuestControl NONE = new GuestControl() {
        @Override
        public void pause() {
        }

        @Override
        public void resume() {
        }
    };
}
