package dev.ferry.engine;

import dev.ferry.engine.destination.PageApplyListener;
import dev.ferry.memory.RamBlock;
import dev.ferry.memory.internal.Workload;

import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The ordering campaigns' check, as a destination's page listener: every applied version of the first
 * {@code hotPages} pages of a block 0 (as a {@link Workload} stamps them) against the last one applied to that page;
 * an older one is a page gone backwards. Blocks are told apart by identity, so one checker serves several
 * migrations at once into one endpoint.
 */
final class HotPages implements PageApplyListener {
    private final int hotPages;
    private final Map<RamBlock, AtomicLongArray> lastApplied = Collections.synchronizedMap(new IdentityHashMap<>());
    private final AtomicLong backwards = new AtomicLong();
    private final AtomicLong applies = new AtomicLong();

    HotPages(final int hotPages) {
        this.hotPages = hotPages;
    }

    @Override
    public void onPageApplied(final int channel, final RamBlock block, final long page) {
        if (block.id() != 0 || page >= hotPages) {
            return;
        }
        final long version = Workload.consistentVersionOf(block, page);
        if (version < 0) {
            return;
        }
        applies.incrementAndGet();
        final AtomicLongArray last = lastApplied.computeIfAbsent(block, b -> new AtomicLongArray(hotPages));
        if (version < last.getAndAccumulate((int)page, version, Math::max)) {
            backwards.incrementAndGet();
        }
    }

    /** Applies of a version older than one already applied to the same page. */
    long backwards() {
        return backwards.get();
    }

    /** Hot-page applies checked. */
    long applies() {
        return applies.get();
    }
}
