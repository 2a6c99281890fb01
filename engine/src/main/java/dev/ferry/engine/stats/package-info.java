/**
 * Migration statistics in the spirit of QEMU's {@code query-migrate}: live counters in an Agrona
 * {@code CountersManager}, optionally over a memory-mapped file that {@code ferry stat} reads from another process
 * ({@code Counters}, {@code CountersFile}, {@code CounterDescriptor}); immutable snapshots and the
 * {@code --stats-json} document ({@code MigrationStats}); latency histograms ({@code LatencyHistograms},
 * HdrHistogram); the terminal progress line.
 * <p>
 * Depends on Agrona and HdrHistogram only.
 */
package dev.ferry.engine.stats;
