/**
 * Connections: a counted socket wrapper, the authenticated handshake that opens every connection, the framed main
 * channel, and a watchdog that closes what overstays a deadline.
 * <p>
 * Depends on the protocol package; knows nothing of rounds, barriers or guest memory.
 */
package dev.ferry.engine.channel;
