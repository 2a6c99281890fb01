/**
 * Stable error codes ({@link dev.ferry.engine.error.ErrorCode}, with a category) and the exception that carries one.
 * The leaf of the engine: it depends on nothing, and every other package may use it.
 */
package dev.ferry.engine.error;
