package dev.ferry.engine;

import dev.ferry.memory.BlockSpec;
import dev.ferry.memory.GuestMemory;
import dev.ferry.memory.MappedFile;
import dev.ferry.memory.MemoryException;
import dev.ferry.memory.RamBlock;
import dev.ferry.memory.internal.MemoryFiles;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

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
     * Puts memory from {@link #create} in place once the migration into it is complete (and verified, unless
     * verification is off), before the source is told: a file factory renames its partial file onto its target
     * here. Nothing by default.
     *
     * @throws MemoryException if it cannot be put in place; the migration then fails and the memory is discarded.
     */
    default void commit(final GuestMemory memory) {
    }

    /** Throws away what this factory prepared ahead (a preallocated file) when no SETUP ever came; nothing by default. */
    default void discardUnused() {
    }

    /**
     * Where the guest ends up, when that is a file ({@link #file}, {@link #preallocatedFile}); else null. A source on
     * this host whose memory is that very file is refused at SETUP: the migration would write the guest onto itself.
     */
    default Path target() {
        return null;
    }

    /** As {@link #file(Path, boolean)}, refusing an existing {@code path}. */
    static MemoryFactory file(final Path path) {
        return file(path, false);
    }

    /**
     * Each guest into a file named as the guest in {@code directory}, as {@link #file(Path, boolean)} makes it (a
     * partial file beside it, renamed into place once verified): what a destination receiving several guests uses.
     * The name is checked again here ({@link GuestName}), so no name reaches the file system unchecked.
     */
    static Function<String, MemoryFactory> inDirectory(final Path directory, final boolean overwrite) {
        return name -> file(directory.resolve(GuestName.require(name)), overwrite);
    }

    /**
     * A guest that lands at {@code path}, blocks back to back, in a file created at SETUP. It is written to a partial
     * file beside {@code path} ({@link MemoryFiles#partialOf}, mode 0600) and renamed onto {@code path} only once the
     * migration is complete and verified ({@link #commit}); a failed, cancelled or killed migration leaves
     * {@code path} as it was (a killed one leaves its partial file, which {@link MemoryFiles#removeStalePartials}
     * removes). The file is sparse: creating it costs nothing, a page is allocated (and cleared, once) by the kernel
     * when a packet first writes it, and a page never written is never allocated, not even by the verification's
     * digest. A link, a directory or another non-regular file at {@code path} is refused, now and at SETUP; so is an
     * existing file unless {@code overwrite}. The blocks of the memory handed back after completion still name the
     * partial file in {@link dev.ferry.memory.RamBlock#path()}: the mapping is the same file, now at {@code path}.
     *
     * @throws MemoryException naming the path, if it is refused now.
     */
    static MemoryFactory file(final Path path, final boolean overwrite) {
        MemoryFiles.checkTarget(path, overwrite);
        final Path partial = MemoryFiles.partialOf(path);
        return new MemoryFactory() {
            @Override
            public GuestMemory create(final List<BlockSpec> specs, final int pageSizeBytes) {
                MemoryFiles.checkTarget(path, overwrite);
                return GuestMemory.createFile(partial, specs, pageSizeBytes, false);
            }

            @Override
            public void commit(final GuestMemory memory) {
                memory.blocks().forEach(RamBlock::force); // durable before it is named: a crash never leaves half
                MemoryFiles.commit(partial, path, overwrite);
            }

            @Override
            public void discard(final GuestMemory memory) {
                memory.close();
                MemoryFiles.deleteQuietly(partial);
            }

            @Override
            public Path target() {
                return path;
            }

            @Override
            public String toString() {
                return "file " + path;
            }
        };
    }

    /** As {@link #preallocatedFile(Path, long, boolean, boolean)}, refusing an existing {@code path}. */
    static MemoryFactory preallocatedFile(final Path path, final long sizeBytes, final boolean prefault) {
        return preallocatedFile(path, sizeBytes, prefault, false);
    }

    /**
     * A guest of exactly {@code sizeBytes} that lands at {@code path}, in a file created <em>now</em>, before any
     * source connects, with its space reserved, and with {@code prefault} every page touched now too, through a
     * mapping that the guest is then cut from, so that pages and page tables are both in place: a destination like a
     * VMM started with preallocated RAM, whose cost is outside the migration. The file made now is the partial file
     * beside {@code path}, renamed onto it once the migration is complete and verified, as {@link #file(Path, boolean)};
     * {@code path} itself is never touched before that (and refused now if it exists, unless {@code overwrite}). A
     * SETUP whose total size differs is refused, and then, as after any failure or when no source ever comes
     * ({@link #discardUnused}), the partial file is deleted. A prefaulted mapping that no SETUP ever takes is
     * unmapped by {@link #discardUnused}, or when this factory is collected, as any mapped buffer.
     *
     * @throws MemoryException if the path is refused, or the file cannot be created or touched.
     */
    static MemoryFactory preallocatedFile(final Path path, final long sizeBytes, final boolean prefault,
        final boolean overwrite) {
        MemoryFiles.checkTarget(path, overwrite);
        final Path partial = MemoryFiles.partialOf(path);
        MemoryFiles.createReserved(partial, sizeBytes);
        final AtomicReference<MappedFile> touched = new AtomicReference<>(prefault ? touch(partial, sizeBytes) : null);
        return new MemoryFactory() {
            @Override
            public GuestMemory create(final List<BlockSpec> specs, final int pageSizeBytes) {
                try (MappedFile handedOver = touched.getAndSet(null)) { // unmapped once the guest cut from it closes
                    final long total = specs.stream().mapToLong(BlockSpec::lengthBytes).sum();
                    if (total != sizeBytes) {
                        MemoryFiles.deleteQuietly(partial);
                        throw new MemoryException("the source's guest is " + total + " bytes in " + specs.size() +
                            " blocks; this destination holds exactly " + sizeBytes + " bytes for " + path);
                    }
                    MemoryFiles.checkTarget(path, overwrite);
                    return null == handedOver ? GuestMemory.mapFile(partial, specs, pageSizeBytes) :
                        GuestMemory.mapFile(handedOver, specs, pageSizeBytes);
                }
            }

            @Override
            public void commit(final GuestMemory memory) {
                memory.blocks().forEach(RamBlock::force); // durable before it is named: a crash never leaves half
                MemoryFiles.commit(partial, path, overwrite);
            }

            @Override
            public void discard(final GuestMemory memory) {
                memory.close();
                MemoryFiles.deleteQuietly(partial);
            }

            @Override
            public void discardUnused() {
                final MappedFile unused = touched.getAndSet(null);
                if (null != unused) {
                    unused.close();
                }
                MemoryFiles.deleteQuietly(partial);
            }

            @Override
            public Path target() {
                return path;
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

    /** Maps {@code file} and touches every page through the mapping, which is returned; the file is deleted on failure. */
    private static MappedFile touch(final Path file, final long sizeBytes) {
        MappedFile mapped = null;
        try {
            mapped = MappedFile.map(file, sizeBytes);
            mapped.touchEveryPage(RamBlock.DEFAULT_PAGE_SIZE, Runtime.getRuntime().availableProcessors());
            return mapped;
        } catch (final MemoryException ex) {
            if (null != mapped) {
                mapped.close();
            }
            MemoryFiles.deleteQuietly(file);
            throw ex;
        }
    }
}
