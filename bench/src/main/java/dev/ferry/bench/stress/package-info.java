/**
 * jcstress tests of the dirty bitmap's contract with writers, run from the benchmarks jar (see
 * {@code docs/benchmarks.md}). Each state is one page (a plain {@code long}) and the bitmap word that tracks it,
 * with the bit already set by an earlier, not yet harvested write: the case the marking fast path exists for.
 * <p>
 * Outcome {@code r1, r2, r3}: bits the harvest took, the page value the harvester read after the harvest, the bit
 * left for the next harvest. {@code 1, 0, 0} is a lost write: the harvest took the only mark and read the old page.
 */
package dev.ferry.bench.stress;
