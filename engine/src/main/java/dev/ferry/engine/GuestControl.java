package dev.ferry.engine;

/**
 * How the source engine controls the running guest: a VMM implements it over its vCPUs, the CLI's demo over
 * its synthetic workload. Calls come from the migration's conductor thread.
 * <p>
 * Auto-converge calls {@link #throttle(int)} when the guest dirties memory faster than the channels can send it.
 * A VMM implements it as QEMU's CPU throttle does: each vCPU sleeps {@code percent} of every short slice (say 10 ms)
 * and runs the rest, losing the time it slept rather than catching up afterwards. The engine lifts the throttle
 * ({@code throttle(0)}) whenever the migration ends, whichever way.
 */
public interface GuestControl {
    /** Stops every writer of guest memory; returns only when none is mid-write. Switchover starts here. */
    void pause();

    /** Lets writers run again after a failed or cancelled migration. */
    void resume();

    /** Slows writers to (100 - percent)% of their time (auto-converge), percent 0..99; 0 lifts it. Optional. */
    default void throttle(final int percent) {
    }

    /** Page writes per second the guest achieved before any throttle, or -1 when it cannot tell (the default). */
    default long unthrottledWritesPerSecond() {
        return -1;
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
