/**
 * Connections: a counted socket wrapper, the authenticated handshake that opens every connection, the framed main
 * channel and its reader thread, the SYNC/FLUSH barrier both sides meet at ({@code SyncBarrier}), and an engine's
 * {@code Watchdog}, which closes what overstays a deadline.
 * <p>
 * Depends on protocol and error; knows nothing of rounds' content, engines or guest memory.
 */
package dev.ferry.engine.channel;
