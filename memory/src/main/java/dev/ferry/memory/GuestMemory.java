package dev.ferry.memory;

import dev.ferry.memory.internal.MemoryFiles;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;

/**
 * The guest's memory: an ordered set of {@link RamBlock}s sharing one page size, found by name or by numeric id.
 * Closing it closes every block.
 */
public final class GuestMemory implements AutoCloseable {
    /** Block ids travel as an unsigned byte's worth of values. */
    public static final int MAX_BLOCK_ID = 255;

    private final List<RamBlock> blocks;
    private final RamBlock[] blocksById;
    private final Map<String, RamBlock> blocksByName = new HashMap<>();
    private final int pageSizeBytes;
    private final long totalBytes;
    private final long pageCount;

    /** A guest of {@code blocks}, in that order; ids and names must be unique, page sizes equal. */
    public GuestMemory(final List<RamBlock> blocks) {
        if (blocks.isEmpty()) {
            throw new MemoryException("a guest needs at least one RAM block");
        }
        this.blocks = List.copyOf(blocks);
        this.pageSizeBytes = blocks.get(0).pageSizeBytes();
        int maxId = 0;
        long total = 0;
        long pages = 0;
        for (final RamBlock block : blocks) {
            if (block.pageSizeBytes() != pageSizeBytes) {
                throw new MemoryException("block '" + block.name() + "' has page size " + block.pageSizeBytes() +
                    ", the guest " + pageSizeBytes);
            }
            if (null != blocksByName.put(block.name(), block)) {
                throw new MemoryException("duplicate block name '" + block.name() + "'");
            }
            maxId = Math.max(maxId, block.id());
            total += block.lengthBytes();
            pages += block.pageCount();
        }
        this.blocksById = new RamBlock[maxId + 1];
        for (final RamBlock block : blocks) {
            if (null != blocksById[block.id()]) {
                throw new MemoryException("duplicate block id " + block.id());
            }
            blocksById[block.id()] = block;
        }
        this.totalBytes = total;
        this.pageCount = pages;
    }

    /** A guest of the given blocks. */
    public static GuestMemory of(final RamBlock... blocks) {
        return new GuestMemory(List.of(blocks));
    }

    /** Anonymous (direct-memory) blocks for {@code specs}, zero-filled. */
    public static GuestMemory anonymous(final List<BlockSpec> specs, final int pageSizeBytes) {
        final List<RamBlock> blocks = new ArrayList<>();
        try {
            for (final BlockSpec spec : specs) {
                blocks.add(RamBlock.anonymous(spec.id(), spec.name(), spec.lengthBytes(), pageSizeBytes));
            }
            return new GuestMemory(blocks);
        } catch (final RuntimeException ex) {
            blocks.forEach(RamBlock::close);
            throw ex;
        }
    }

    /**
     * Creates {@code path} afresh with its space reserved and maps {@code specs} into it back to back. The file is
     * private (0600) and created exclusively, never through a link; an existing regular file is replaced, never
     * truncated in place ({@link MemoryFiles}). On failure nothing is left behind.
     */
    public static GuestMemory createFile(final Path path, final List<BlockSpec> specs, final int pageSizeBytes) {
        return createFile(path, specs, pageSizeBytes, true);
    }

    /**
     * As {@link #createFile(Path, List, int)}; with {@code reserve} false the file is sparse
     * ({@link MemoryFiles#createSparse}): created at once, each page allocated when first written.
     */
    public static GuestMemory createFile(
        final Path path, final List<BlockSpec> specs, final int pageSizeBytes, final boolean reserve) {
        RamBlock.validatePageSize(pageSizeBytes);
        long total = 0;
        for (final BlockSpec spec : specs) {
            if (spec.lengthBytes() <= 0 || spec.lengthBytes() % pageSizeBytes != 0) {
                throw new MemoryException("length " + spec.lengthBytes() + " of block '" + spec.name() +
                    "' must be a positive multiple of the page size " + pageSizeBytes);
            }
            total += spec.lengthBytes();
        }
        if (reserve) {
            MemoryFiles.createReserved(path, total);
        } else {
            MemoryFiles.createSparse(path, total);
        }
        try {
            return mapFile(path, specs, pageSizeBytes);
        } catch (final RuntimeException ex) {
            MemoryFiles.deleteQuietly(path);
            throw ex;
        }
    }

    /** Maps {@code specs} back to back from the existing file {@code path}. */
    public static GuestMemory mapFile(final Path path, final List<BlockSpec> specs, final int pageSizeBytes) {
        return backToBack(specs, (spec, offset) ->
            RamBlock.mapFile(spec.id(), spec.name(), path, offset, spec.lengthBytes(), pageSizeBytes));
    }

    /**
     * Cuts {@code specs} back to back from {@code file}'s mapping ({@link MappedFile#block}), so that the guest
     * shares the page tables that mapping holds.
     */
    public static GuestMemory mapFile(final MappedFile file, final List<BlockSpec> specs, final int pageSizeBytes) {
        return backToBack(specs, (spec, offset) ->
            file.block(spec.id(), spec.name(), offset, spec.lengthBytes(), pageSizeBytes));
    }

    private static GuestMemory backToBack(final List<BlockSpec> specs, final BiFunction<BlockSpec, Long, RamBlock> at) {
        final List<RamBlock> blocks = new ArrayList<>();
        long offset = 0;
        try {
            for (final BlockSpec spec : specs) {
                blocks.add(at.apply(spec, offset));
                offset += spec.lengthBytes();
            }
            return new GuestMemory(blocks);
        } catch (final RuntimeException ex) {
            blocks.forEach(RamBlock::close);
            throw ex;
        }
    }

    /** The specs of this guest's blocks, in order. */
    public List<BlockSpec> specs() {
        final List<BlockSpec> specs = new ArrayList<>(blocks.size());
        for (final RamBlock block : blocks) {
            specs.add(new BlockSpec(block.id(), block.name(), block.lengthBytes()));
        }
        return Collections.unmodifiableList(specs);
    }

    public List<RamBlock> blocks() {
        return blocks;
    }

    /** The block with {@code id}, or null. */
    public RamBlock block(final int id) {
        return id >= 0 && id < blocksById.length ? blocksById[id] : null;
    }

    /** The block named {@code name}, or null. */
    public RamBlock block(final String name) {
        return blocksByName.get(name);
    }

    public int pageSizeBytes() {
        return pageSizeBytes;
    }

    public long totalBytes() {
        return totalBytes;
    }

    public long pageCount() {
        return pageCount;
    }

    @Override
    public void close() {
        RuntimeException first = null;
        for (final RamBlock block : blocks) {
            try {
                block.close();
            } catch (final RuntimeException ex) {
                if (null == first) {
                    first = ex;
                }
            }
        }
        if (null != first) {
            throw first;
        }
    }
}
