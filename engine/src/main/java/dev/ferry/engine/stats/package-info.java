/**
 * Migration statistics in the spirit of QEMU's {@code query-migrate}: live counters the engines update, immutable
 * snapshots, the {@code --stats-json} document, latency histograms (HdrHistogram) and the terminal progress line.
 * <p>
 * Depends on HdrHistogram only.
 */
package dev.ferry.engine.stats;
