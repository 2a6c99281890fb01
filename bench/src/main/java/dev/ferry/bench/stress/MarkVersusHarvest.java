package dev.ferry.bench.stress;

import dev.ferry.memory.DirtyBitmap;
import dev.ferry.memory.PageBitmap;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Expect;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;

/** {@link DirtyBitmap#markDirty(long)} against {@link DirtyBitmap#syncAndClear}: no write may be lost. */
@JCStressTest
@Outcome(id = "1, 1, 0", expect = Expect.ACCEPTABLE, desc = "the harvest took the mark and read the new page")
@Outcome(id = "1, 1, 1", expect = Expect.ACCEPTABLE, desc = "read the new page; a later mark waits (harmless resend)")
@Outcome(id = "1, 0, 1", expect = Expect.ACCEPTABLE, desc = "read the old page; the new mark waits for the next harvest")
@Outcome(id = "1, 0, 0", expect = Expect.FORBIDDEN, desc = "lost write: harvest took the only mark, read the old page")
@State
public class MarkVersusHarvest {
    private final DirtyBitmap bitmap = new DirtyBitmap(64);
    private final PageBitmap own = new PageBitmap(64);
    private long page;

    public MarkVersusHarvest() {
        bitmap.markDirty(0);
    }

    @Actor
    public void writer() {
        page = 1;
        bitmap.markDirty(0);
    }

    @Actor
    public void harvester(final III_Result r) {
        r.r1 = (int)bitmap.syncAndClear(own);
        r.r2 = (int)page;
    }

    @Arbiter
    public void arbiter(final III_Result r) {
        r.r3 = bitmap.isDirty(0) ? 1 : 0;
    }
}
