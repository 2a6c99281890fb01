package dev.ferry.engine.cli;

import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * {@code kill -USR1 PID} forces a switchover of the running {@code send} (an operator's last resort when a
 * migration does not converge: the guest pauses now and the rest goes in the final round). Chosen over a line on
 * standard input because daemons and scripts run the CLI with standard input closed or shared, while a signal
 * reaches the process from anywhere. Built on {@code sun.misc.Signal} (module {@code jdk.unsupported}, present in
 * every JDK build we support); where the platform has no SIGUSR1, nothing is installed and a line says so.
 */
final class SwitchoverSignal implements AutoCloseable {
    private static final String NAME = "USR1";
    private final Signal signal;
    private final SignalHandler previous;

    private SwitchoverSignal(final Signal signal, final SignalHandler previous) {
        this.signal = signal;
        this.previous = previous;
    }

    /** Installs the handler: each SIGUSR1 runs {@code force} (on the JVM's signal thread; it must not block). */
    static SwitchoverSignal install(final Runnable force, final java.io.PrintWriter err) {
        try {
            final Signal signal = new Signal(NAME);
            return new SwitchoverSignal(signal, Signal.handle(signal, ignored -> {
                err.println("ferry: SIGUSR1: forcing a switchover");
                err.flush();
                force.run();
            }));
        } catch (final IllegalArgumentException | UnsupportedOperationException ex) {
            err.println("ferry: SIGUSR1 is not available here (" + ex.getMessage() + "): no forced switchover by signal");
            return new SwitchoverSignal(null, null);
        }
    }

    /** Puts the previous handler back. */
    @Override
    public void close() {
        if (null != signal && null != previous) {
            Signal.handle(signal, previous);
        }
    }
}
