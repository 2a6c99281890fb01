/**
 * The wire protocol: flyweights over Agrona buffers, one class per message family, every field at a named
 * {@code *_OFFSET}, little-endian throughout. {@code docs/protocol.md} repeats the diagrams.
 * <p>
 * Depends on Agrona only; knows nothing of sockets or threads.
 */
package dev.ferry.engine.protocol;
