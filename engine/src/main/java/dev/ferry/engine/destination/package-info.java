/**
 * The destination engine: an acceptor that authenticates every connection, the main receiver (SETUP, FLUSH,
 * DEVICE-STATE, COMPLETE, VERIFY) and one receiver per data channel that validates every header field and then
 * reads page payloads straight into the destination mapping. Channels stop at SYNC and are released together by
 * the main receiver on FLUSH: the hold that keeps an older copy of a page from landing after a newer one.
 * <p>
 * Depends on the protocol and channel packages, stats, and memory.
 */
package dev.ferry.engine.destination;
