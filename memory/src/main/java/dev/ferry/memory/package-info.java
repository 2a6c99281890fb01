/**
 * Off-heap guest memory: {@link dev.ferry.memory.RamBlock}s mapped in windows, the
 * {@link dev.ferry.memory.GuestMemory} that orders them, the atomic {@link dev.ferry.memory.DirtyBitmap}
 * writers mark and the migration harvests, page operations (zero detection, CRC32C digests) and a
 * deterministic synthetic {@link dev.ferry.memory.Workload}.
 * <p>
 * Depends on Agrona only. Knows nothing of sockets, protocols or the engine.
 */
package dev.ferry.memory;
