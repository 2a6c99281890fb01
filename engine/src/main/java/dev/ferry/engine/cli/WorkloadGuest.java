package dev.ferry.engine.cli;

import dev.ferry.engine.GuestControl;
import dev.ferry.memory.internal.Workload;

/** The synthetic {@link Workload} of the demo (and of the tests) as a guest: paused, resumed and throttled through it. */
public final class WorkloadGuest implements GuestControl {
    private final Workload workload;

    private WorkloadGuest(final Workload workload) {
        this.workload = workload;
    }

    /** {@code workload} as the guest a source controls. */
    public static GuestControl of(final Workload workload) {
        return new WorkloadGuest(workload);
    }

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

    @Override
    public long unthrottledWritesPerSecond() {
        return workload.unthrottledWritesPerSecond();
    }
}
