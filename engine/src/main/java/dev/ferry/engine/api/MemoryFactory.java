package dev.ferry.engine.api;

import dev.ferry.memory.BlockSpec;
import dev.ferry.memory.GuestMemory;
import dev.ferry.memory.MappedFile;
import dev.ferry.memory.MemoryException;
import dev.ferry.memory.MemoryFiles;
import dev.ferry.memory.RamBlock;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

/**
 * How the destination gets the guest's memory for the source's SETUP, and throws it away after a failure. The
 * memory exists before SETUP-ACK, and the space for it was there then, so a full tmpfs or disk is a clear setup
 * error; a file system that fills up later (something else wrote to it) fails the migration with a clear MEMORY
 * error naming the file, never a JVM crash.
 */
public interface MemoryFactory {
    /**
     * Memory for {@code specs}.
     *
     * @throws MemoryException naming what could not be created, or why the SETUP does not fit.
     */
    GuestMemory create(List<BlockSpec> specs, int pageSizeBytes);

    /**
     * Throws away memory this factory gave out, after a failed migration: closes it unless the embedder owns it, and
     * deletes what backs it.
     */
    void discard(GuestMemory memory);

    /**
     * Whether memory from {@link #create} holds only zeros. Then a page the source sends as a zero page needs no
     * write (and a destination never touches a zero page it did not write); otherwise every zero page is written.
     */
    default boolean createsZeroedMemory() {
        return true;
    }

    /**
     * One file at {@code path}, created afresh at SETUP (an existing file is truncated), blocks back to back. It is
     * sparse: creating it costs nothing, a page is allocated (and cleared, once) by the kernel when a packet first
     * writes it, and a page never written is never allocated, not even by the verification's digest.
     */
    static MemoryFactory file(final Path path) {
        return new MemoryFactory() {
            @Override
            public GuestMemory create(final List<BlockSpec> specs, final int pageSizeBytes) {
                return GuestMemory.createFile(path, specs, pageSizeBytes, false);
            }

            @Override
            public void discard(final GuestMemory memory) {
                memory.close();
                MemoryFiles.deleteQuietly(path);
            }

            @Override
            public String toString() {
                return "file " + path;
            }
        };
    }

    /**
     * One file at {@code path} of exactly {@code sizeBytes}, created afresh with its space reserved <em>now</em>,
     * before any source connects, and with {@code prefault} every page touched now too, through a mapping that the
     * guest is then cut from, so that pages and page tables are both in place: a destination like a VMM started with
     * preallocated RAM, whose cost is outside the migration. The guest lands in the file, blocks back to back; a SETUP
     * whose total size differs is refused, and then, as after any failure, the file is deleted. A prefaulted mapping
     * that no SETUP ever takes is unmapped when this factory is collected, as any mapped buffer.
     *
     * @throws MemoryException if the file cannot be created or touched.
     */
    static MemoryFactory preallocatedFile(final Path path, final long sizeBytes, final boolean prefault) {
        MemoryFiles.createReserved(path, sizeBytes);
        final AtomicReference<MappedFile> touched = new AtomicReference<>();
        if (prefault) {
            try {
                touched.set(MappedFile.map(path, sizeBytes));
                touched.get().touchEveryPage(RamBlock.DEFAULT_PAGE_SIZE, Runtime.getRuntime().availableProcessors());
            } catch (final MemoryException ex) {
                if (null != touched.get()) {
                    touched.get().close();
                }
                MemoryFiles.deleteQuietly(path);
                throw ex;
            }
        }
        return new MemoryFactory() {
            @Override
            public GuestMemory create(final List<BlockSpec> specs, final int pageSizeBytes) {
                try (MappedFile handedOver = touched.getAndSet(null)) { // unmapped once the guest cut from it closes
                    final long total = specs.stream().mapToLong(BlockSpec::lengthBytes).sum();
                    if (total != sizeBytes) {
                        MemoryFiles.deleteQuietly(path);
                        throw new MemoryException("the source's guest is " + total + " bytes in " + specs.size() +
                            " blocks; this destination holds exactly " + sizeBytes + " bytes in " + path);
                    }
                    return null == handedOver ? GuestMemory.mapFile(path, specs, pageSizeBytes) :
                        GuestMemory.mapFile(handedOver, specs, pageSizeBytes);
                }
            }

            @Override
            public void discard(final GuestMemory memory) {
                memory.close();
                MemoryFiles.deleteQuietly(path);
            }

            @Override
            public String toString() {
                return (prefault ? "prefaulted " : "preallocated ") + "file " + path + " of " + sizeBytes + " bytes";
            }
        };
    }

    /**
     * Memory the embedder already holds (a VMM's preallocated RAM). The SETUP must match its layout exactly (page
     * size, block ids and lengths), else it is refused. Its content is unknown, so every zero page is written; after
     * a failure it is left to the embedder, open and unchanged in layout.
     */
    static MemoryFactory existing(final GuestMemory memory) {
        return new MemoryFactory() {
            @Override
            public GuestMemory create(final List<BlockSpec> specs, final int pageSizeBytes) {
                if (pageSizeBytes != memory.pageSizeBytes() || specs.size() != memory.blocks().size()) {
                    throw new MemoryException("the source's guest (" + specs.size() + " blocks, pages of " +
                        pageSizeBytes + ") does not fit this destination's memory (" + memory.blocks().size() +
                        " blocks, pages of " + memory.pageSizeBytes() + ")");
                }
                for (final BlockSpec spec : specs) {
                    final RamBlock block = memory.block(spec.id());
                    if (null == block || block.lengthBytes() != spec.lengthBytes()) {
                        throw new MemoryException("the source's block " + spec.id() + " '" + spec.name() + "' of " +
                            spec.lengthBytes() + " bytes has no block of that id and length in this destination's memory");
                    }
                }
                return memory;
            }

            @Override
            public void discard(final GuestMemory given) {
            }

            @Override
            public boolean createsZeroedMemory() {
                return false;
            }

            @Override
            public String toString() {
                return "existing memory of " + memory.totalBytes() + " bytes";
            }
        };
    }

    /** Anonymous direct memory (bounded by -XX:MaxDirectMemorySize). */
    static MemoryFactory anonymous() {
        return new MemoryFactory() {
            @Override
            public GuestMemory create(final List<BlockSpec> specs, final int pageSizeBytes) {
                return GuestMemory.anonymous(specs, pageSizeBytes);
            }

            @Override
            public void discard(final GuestMemory memory) {
                memory.close();
            }

            @Override
            public String toString() {
                return "anonymous memory";
            }
        };
    }
}
