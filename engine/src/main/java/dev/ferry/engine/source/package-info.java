/**
 * The source engine: one migration thread (the single producer) harvests the dirty bitmap, scans it, batches pages
 * into packets and hands them to the least-loaded channel's SPSC queue; one sender thread per channel (the single
 * consumer) detects zero pages and writes each packet with one gathering write straight from the mapped guest
 * memory. Rounds end with the SYNC/FLUSH barrier of {@code docs/design.md}.
 * <p>
 * Depends on the protocol and channel packages, stats, and memory.
 */
package dev.ferry.engine.source;
