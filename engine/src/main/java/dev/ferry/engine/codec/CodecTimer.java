package dev.ferry.engine.codec;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;

/**
 * The CPU time one channel thread spends in its codec: the thread's own CPU clock, so a thread descheduled on a
 * busy machine is not charged for the wait (wall time where the JVM has no thread CPU clock). One per thread;
 * allocation-free.
 */
public final class CodecTimer {
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    private static final boolean CPU_CLOCK = THREADS.isCurrentThreadCpuTimeSupported();

    private long startNs;
    private long totalNs;

    public void start() {
        startNs = now();
    }

    public void stop() {
        totalNs += now() - startNs;
    }

    /** The time counted since the last call. */
    public long take() {
        final long taken = totalNs;
        totalNs = 0;
        return taken;
    }

    private static long now() {
        return CPU_CLOCK ? THREADS.getCurrentThreadCpuTime() : System.nanoTime();
    }
}
