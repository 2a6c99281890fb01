package dev.ferry.engine;

import dev.ferry.engine.channel.Handshake;
import dev.ferry.memory.internal.FileExtents;
import dev.ferry.memory.internal.MemoryFiles;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * What a cold JVM would otherwise load and initialize on a migration's clock, done ahead on a daemon thread of its
 * own when a Context or a CLI command is made: the handshake's JCE provider and seeded {@code SecureRandom}, the
 * native binding verification uses to tell holes from data, the one that creates memory files at SETUP, and the
 * JDK's System.Logger. Each costs tens of milliseconds in a cold JVM (docs/benchmarks.md, "Measurements behind the
 * code"). The CLI starts it before parsing its arguments. Once per JVM; later calls return at once. Nothing here
 * can fail a migration: what goes wrong fails again, and is reported, where it is needed.
 */
public final class ColdStart {
    private static final AtomicBoolean STARTED = new AtomicBoolean();

    private ColdStart() {
    }

    /** Starts the preparation unless it has started already. */
    public static void prepareInBackground() {
        if (STARTED.compareAndSet(false, true)) {
            final Thread thread = new Thread(ColdStart::prepare, "ferry-cold-start");
            thread.setDaemon(true);
            thread.start();
        }
    }

    private static void prepare() {
        System.getLogger(ColdStart.class.getName()); // the System.Logger machinery: 10-20 ms when a conductor made it
        Handshake.prepare();
        FileExtents.available();
        MemoryFiles.nativeCallsBound();
    }
}
