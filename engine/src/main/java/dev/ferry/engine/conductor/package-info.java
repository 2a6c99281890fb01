/**
 * What the source's and the destination's conductors share, written once: the inbox other threads post to
 * ({@link dev.ferry.engine.conductor.Inbox}), the failure bookkeeping with its grace for the peer's reason
 * ({@link dev.ferry.engine.conductor.Outcome}), and the checked states with the end every migration reaches
 * ({@link dev.ferry.engine.conductor.Lifecycle}: tell the peer, release, final counters, complete the result).
 * <p>
 * Above channel and stats, below source and destination.
 */
package dev.ferry.engine.conductor;
