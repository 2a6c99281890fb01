package dev.ferry.engine.cli;

import dev.ferry.engine.GuestControl;
import dev.ferry.memory.Workload;

/** The synthetic workload as the guest the source engine pauses, resumes and throttles. */
final class WorkloadGuest implements GuestControl {
    private final Workload workload;

    WorkloadGuest(final Workload workload) {
        this.workload = workload;
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
}
