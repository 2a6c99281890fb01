/**
 * Migration statistics in the spirit of QEMU's {@code query-migrate}: live counters in an Agrona
 * {@code CountersManager}, optionally over a memory-mapped file that {@code ferry stat} reads from another process
 * ({@code Counters}, {@code CountersFile}, {@code CounterDescriptor}), in a private directory
 * ({@code CountersDirectory}) and read back without trusting a byte ({@code CountersFileReader}); immutable
 * snapshots and the {@code --stats-json} document ({@code MigrationStats}); latency histograms
 * ({@code LatencyHistograms}, HdrHistogram); the terminal progress line.
 * <p>
 * Depends on Agrona and HdrHistogram, and on {@code FerryException} for a refused counters directory.
 */
package dev.ferry.engine.stats;
