/**
 * Benchmarks: JMH for the hot paths of {@code memory/} (dirty marking, harvest, scan, zero detection) and
 * {@link dev.ferry.bench.EndToEndBenchmark} for whole migrations beside a raw-socket baseline measured in the same
 * run. Figures and the commands that made them live in {@code docs/benchmarks.md}.
 * <p>
 * Depends on engine and memory; nothing depends on it.
 */
package dev.ferry.bench;
