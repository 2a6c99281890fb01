/**
 * The verification exchange that ends every migration: digests of both sides' actual memory after APPLIED, the
 * destination's comparison and the source's reading of the RESULT.
 * <p>
 * Depends on memory, protocol and the error codes; knows nothing of sockets or threads.
 */
package dev.ferry.engine.verify;
