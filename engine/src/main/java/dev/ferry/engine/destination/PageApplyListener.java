package dev.ferry.engine.destination;

import dev.ferry.memory.RamBlock;

/**
 * Told on the receiving channel's thread, right after a normal page's bytes are in destination memory and before
 * the next packet of that channel is read. For tests and tracing: it runs on the hot path, keep it cheap.
 */
@FunctionalInterface
public interface PageApplyListener {
    void onPageApplied(int channel, RamBlock block, long page);
}
