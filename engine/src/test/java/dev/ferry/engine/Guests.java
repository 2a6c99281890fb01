package dev.ferry.engine;

import dev.ferry.memory.BlockSpec;
import dev.ferry.memory.GuestMemory;
import dev.ferry.memory.RamBlock;
import dev.ferry.memory.internal.Fill;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/** Test guests and the byte-for-byte comparison every end-to-end test ends with. */
final class Guests {
    static final int PAGE = RamBlock.DEFAULT_PAGE_SIZE;
    static final Secret SECRET = Secret.of("a test secret of 32 bytes......".getBytes(StandardCharsets.US_ASCII));

    /** Three blocks of different sizes, ids not in order, mixed content. */
    static final List<BlockSpec> SPECS = List.of(
        new BlockSpec(0, "pc.ram", 12L << 20),
        new BlockSpec(7, "vga.vram", 1L << 20),
        new BlockSpec(3, "rom", 64L * PAGE));

    private Guests() {
    }

    static GuestMemory anonymous(final List<BlockSpec> specs) {
        return GuestMemory.anonymous(specs, PAGE);
    }

    static GuestMemory file(final Path path, final List<BlockSpec> specs) {
        return GuestMemory.createFile(path, specs, PAGE);
    }

    static GuestMemory filled(final GuestMemory memory, final long seed) {
        for (final RamBlock block : memory.blocks()) {
            Fill.mixed(block, 0.3, seed + block.id());
        }
        return memory;
    }

    /** Fails naming the first differing page unless both guests hold the same blocks with the same bytes. */
    static void assertSameMemory(final GuestMemory expected, final GuestMemory actual) {
        assertEquals(expected.specs(), actual.specs(), "block layout");
        for (final RamBlock block : expected.blocks()) {
            final RamBlock other = actual.block(block.id());
            for (int w = 0; w < block.windowCount(); w++) {
                final ByteBuffer a = block.windowByteBuffer(w).duplicate();
                final ByteBuffer b = other.windowByteBuffer(w).duplicate();
                final int mismatch = a.mismatch(b);
                if (mismatch >= 0) {
                    final long offset = ((long)w << block.windowShift()) + mismatch;
                    fail("block '" + block.name() + "' differs at byte " + offset + " (page " + offset / PAGE + ")");
                }
            }
        }
    }

    /** Threads of ours still alive: each engine's watchdog included, since it is closed with its engine. */
    static Set<String> ferryThreads() {
        return Thread.getAllStackTraces().keySet().stream()
            .filter(Thread::isAlive)
            .map(Thread::getName)
            .filter(name -> name.startsWith("ferry"))
            .collect(Collectors.toSet());
    }

    /** Waits up to 5 s for every Ferry thread to end; fails naming the survivors. */
    static void assertNoFerryThreads() throws InterruptedException {
        final long deadline = System.nanoTime() + 5_000_000_000L;
        Set<String> alive = ferryThreads();
        while (!alive.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(20);
            alive = ferryThreads();
        }
        assertEquals(Set.of(), alive, "threads left running");
    }

    /**
     * Migrates {@code source} over two channels on loopback into a destination whose memory {@code factory} makes;
     * returns {source's result, destination's result}.
     */
    static dev.ferry.engine.MigrationResult[] migrate(final GuestMemory source,
        final dev.ferry.engine.MemoryFactory factory) throws Exception {
        try (MigrationDestination destination = MigrationDestination.start(new MigrationDestination.Context()
                 .secret(SECRET).memoryFactory(factory));
             MigrationSource migration = MigrationSource.start(new MigrationSource.Context()
                 .destination(destination.localAddress()).memory(source).secret(SECRET).channels(2))) {
            return new dev.ferry.engine.MigrationResult[] {
                migration.result().get(30, java.util.concurrent.TimeUnit.SECONDS),
                destination.result().get(30, java.util.concurrent.TimeUnit.SECONDS)};
        }
    }
}
