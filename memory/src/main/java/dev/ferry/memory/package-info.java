/**
 * Off-heap guest memory as an embedder sees it, the one package of the memory module exported to everyone:
 * {@link dev.ferry.memory.GuestMemory} (the ordered blocks of a guest), {@link dev.ferry.memory.RamBlock} (one
 * block, mapped in windows of at most 1 GiB over a file or direct memory), {@link dev.ferry.memory.BlockSpec},
 * the atomic {@link dev.ferry.memory.DirtyBitmap} that writers mark and the migration harvests, and
 * {@link dev.ferry.memory.MemoryException}. The mechanics live in {@code dev.ferry.memory.internal}, exported to
 * the engine alone.
 * <p>
 * Depends on Agrona and JNA only. Knows nothing of sockets, protocols or the engine.
 */
package dev.ferry.memory;
