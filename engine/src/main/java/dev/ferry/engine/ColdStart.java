package dev.ferry.engine;

import dev.ferry.engine.channel.Handshake;
import dev.ferry.memory.internal.FileExtents;
import dev.ferry.memory.internal.MemoryFiles;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * What a cold JVM would otherwise load and initialize on a migration's clock, done ahead on a daemon thread of its
 * own when a Context or a CLI command is made: the handshake's JCE provider and seeded {@code SecureRandom} (the two
 * sides paid 100 and 60 ms of it one after the other inside the first handshake, from class-load logs), and the
 * native binding verification uses to tell holes from data (65 ms, paid at the start of verification), the one
 * that creates memory files at SETUP, and the JDK's System.Logger (10-20 ms inside the source conductor's
 * constructor, found by a set-up trace). The CLI starts it before parsing its arguments. Once per JVM; later calls
 * return at once. Nothing here can fail a migration: what goes wrong fails again, and is reported,
 * where it is needed.
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
