/**
 * The memory module's mechanics, exported to the engine only: mapping and creating memory files
 * ({@link dev.ferry.memory.MappedFile}, {@link dev.ferry.memory.internal.MemoryFiles}, native calls),
 * page operations (zero detection, CRC32C digests, zero-copy views), and the deterministic synthetic
 * {@link dev.ferry.memory.internal.Workload} the demo and the tests run as a guest.
 */
package dev.ferry.memory.internal;
