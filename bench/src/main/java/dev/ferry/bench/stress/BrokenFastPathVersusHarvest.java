package dev.ferry.bench.stress;

import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Expect;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;

/**
 * The deliberately broken variant: the marking fast path without the fence (a plain load of the word, skip if the
 * bit is set). It proves {@link MarkVersusHarvest} can fail: on x86 the outcome {@code 1, 0, 0} shows up here.
 */
@JCStressTest
@Outcome(id = {"1, 1, 0", "1, 1, 1", "1, 0, 1"}, expect = Expect.ACCEPTABLE, desc = "no write lost")
@Outcome(id = "1, 0, 0", expect = Expect.ACCEPTABLE_INTERESTING,
    desc = "lost write, as expected of this broken variant (store-load reordering)")
@State
public class BrokenFastPathVersusHarvest {
    private final AtomicBuffer word = new UnsafeBuffer(new byte[Long.BYTES]);
    private long page;

    public BrokenFastPathVersusHarvest() {
        word.putLongVolatile(0, 1);
    }

    @Actor
    public void writer() {
        page = 1;
        long bits = word.getLong(0);
        if ((bits & 1) != 0) {
            return;
        }
        do {
            bits = word.getLongVolatile(0);
        } while (!word.compareAndSetLong(0, bits, bits | 1));
    }

    @Actor
    public void harvester(final III_Result r) {
        r.r1 = (int)word.getAndSetLong(0, 0);
        r.r2 = (int)page;
    }

    @Arbiter
    public void arbiter(final III_Result r) {
        r.r3 = (int)word.getLongVolatile(0);
    }
}
