package dev.ferry.engine.protocol;

import dev.ferry.memory.BlockSpec;
import dev.ferry.memory.GuestMemory;
import dev.ferry.memory.RamBlock;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The SETUP body (source to destination): the guest's layout, announced once before any page moves.
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                        page size                              |  0
 *  +-------------------------------+-------------------------------+
 *  |        channel count          |         block count           |  4
 *  +-------------------------------+-------------------------------+
 *  |  verify mode (0 full, 1 none) | compression (0 none, 1 zstd,  |  8
 *  |                               |   2 zlib)                     |
 *  +-------------------------------+-------------------------------+
 *  then per block, {@link #BLOCK_NAME_OFFSET} + name length bytes:
 *  +-------------------------------+-------------------------------+
 *  |           block id            |     name length (bytes)       |  0
 *  +-------------------------------+-------------------------------+
 *  |                      block length (8 bytes)                   |  4
 *  +---------------------------------------------------------------+
 *  |                      name, UTF-8                        ...   | 12
 *  +---------------------------------------------------------------+
 * </pre>
 * Decoding checks every field (page size, block ids, name lengths and encoding, lengths and their sum) and names the
 * first bad one in a {@link ProtocolException}; nothing is created from a SETUP before it decodes whole.
 */
public final class SetupFlyweight {
    public static final int PAGE_SIZE_OFFSET = 0;
    public static final int CHANNEL_COUNT_OFFSET = 4;
    public static final int BLOCK_COUNT_OFFSET = 6;
    public static final int VERIFY_OFFSET = 8;
    public static final int COMPRESSION_OFFSET = 10;
    public static final int BLOCKS_OFFSET = 12;
    public static final int BLOCK_ID_OFFSET = 0;
    public static final int BLOCK_NAME_LENGTH_OFFSET = 2;
    public static final int BLOCK_LENGTH_OFFSET = 4;
    public static final int BLOCK_NAME_OFFSET = 12;

    private MutableDirectBuffer buffer;
    private int offset;
    private int length;

    /** Wraps a body of {@code length} bytes at {@code offset}; for encoding, {@code length} is the room. */
    public SetupFlyweight wrap(final MutableDirectBuffer buffer, final int offset, final int length) {
        this.buffer = buffer;
        this.offset = offset;
        this.length = length;
        return this;
    }

    /** Writes the fixed part and every block; returns the body's length. */
    public int encode(final int pageSizeBytes, final int channels, final int verifyMode, final int compression,
        final List<BlockSpec> blocks) {
        buffer.putInt(offset + PAGE_SIZE_OFFSET, pageSizeBytes, Protocol.BYTE_ORDER);
        buffer.putShort(offset + CHANNEL_COUNT_OFFSET, (short)channels, Protocol.BYTE_ORDER);
        buffer.putShort(offset + BLOCK_COUNT_OFFSET, (short)blocks.size(), Protocol.BYTE_ORDER);
        buffer.putShort(offset + VERIFY_OFFSET, (short)verifyMode, Protocol.BYTE_ORDER);
        buffer.putShort(offset + COMPRESSION_OFFSET, (short)compression, Protocol.BYTE_ORDER);
        int at = offset + BLOCKS_OFFSET;
        for (final BlockSpec block : blocks) {
            final byte[] name = block.name().getBytes(StandardCharsets.UTF_8);
            buffer.putShort(at + BLOCK_ID_OFFSET, (short)block.id(), Protocol.BYTE_ORDER);
            buffer.putShort(at + BLOCK_NAME_LENGTH_OFFSET, (short)name.length, Protocol.BYTE_ORDER);
            buffer.putLong(at + BLOCK_LENGTH_OFFSET, block.lengthBytes(), Protocol.BYTE_ORDER);
            buffer.putBytes(at + BLOCK_NAME_OFFSET, name);
            at += BLOCK_NAME_OFFSET + name.length;
        }
        return at - offset;
    }

    public int pageSize() {
        requireLength(BLOCKS_OFFSET);
        return buffer.getInt(offset + PAGE_SIZE_OFFSET, Protocol.BYTE_ORDER);
    }

    public int channelCount() {
        requireLength(BLOCKS_OFFSET);
        return buffer.getShort(offset + CHANNEL_COUNT_OFFSET, Protocol.BYTE_ORDER) & 0xFFFF;
    }

    public int blockCount() {
        requireLength(BLOCKS_OFFSET);
        return buffer.getShort(offset + BLOCK_COUNT_OFFSET, Protocol.BYTE_ORDER) & 0xFFFF;
    }

    public int verifyMode() {
        requireLength(BLOCKS_OFFSET);
        return buffer.getShort(offset + VERIFY_OFFSET, Protocol.BYTE_ORDER) & 0xFFFF;
    }

    /** The codec's wire id (0 for none; a source from before compression wrote 0 here). */
    public int compression() {
        requireLength(BLOCKS_OFFSET);
        return buffer.getShort(offset + COMPRESSION_OFFSET, Protocol.BYTE_ORDER) & 0xFFFF;
    }

    /**
     * Decodes the block table: every block checked (id, name, length a positive multiple of {@code pageSizeBytes}),
     * the sum of lengths must not overflow, and the table must fill the body exactly.
     */
    public List<BlockSpec> blocks(final int pageSizeBytes) {
        final int count = blockCount();
        ProtocolException.check(count >= 1 && count <= Protocol.MAX_BLOCKS, "SETUP block count", count,
            "1.." + Protocol.MAX_BLOCKS);
        final List<BlockSpec> specs = new ArrayList<>(count);
        int at = BLOCKS_OFFSET;
        long totalBytes = 0;
        for (int i = 0; i < count; i++) {
            ProtocolException.check(at + BLOCK_NAME_OFFSET <= length, "SETUP length", length, "room for block " + i);
            final BlockSpec spec = block(at, i, pageSizeBytes);
            ProtocolException.check(spec.lengthBytes() <= Long.MAX_VALUE - totalBytes, "SETUP total length of block " + i,
                spec.lengthBytes(), "a sum of block lengths below 2^63");
            totalBytes += spec.lengthBytes();
            specs.add(spec);
            at += BLOCK_NAME_OFFSET + (buffer.getShort(offset + at + BLOCK_NAME_LENGTH_OFFSET, Protocol.BYTE_ORDER) & 0xFFFF);
        }
        ProtocolException.check(at == length, "SETUP length", length, at + " for " + count + " blocks");
        return specs;
    }

    private BlockSpec block(final int at, final int index, final int pageSizeBytes) {
        final int id = buffer.getShort(offset + at + BLOCK_ID_OFFSET, Protocol.BYTE_ORDER) & 0xFFFF;
        final int nameLength = buffer.getShort(offset + at + BLOCK_NAME_LENGTH_OFFSET, Protocol.BYTE_ORDER) & 0xFFFF;
        final long blockLength = buffer.getLong(offset + at + BLOCK_LENGTH_OFFSET, Protocol.BYTE_ORDER);
        ProtocolException.check(id <= GuestMemory.MAX_BLOCK_ID, "block id", id, "0.." + GuestMemory.MAX_BLOCK_ID);
        ProtocolException.check(nameLength >= 1 && nameLength <= RamBlock.MAX_NAME_LENGTH, "block name length",
            nameLength, "1.." + RamBlock.MAX_NAME_LENGTH);
        ProtocolException.check(at + BLOCK_NAME_OFFSET + nameLength <= length, "SETUP length", length,
            "room for the name of block " + index);
        ProtocolException.check(blockLength > 0 && blockLength % pageSizeBytes == 0, "block length", blockLength,
            "a positive multiple of the page size " + pageSizeBytes);
        return new BlockSpec(id, utf8(buffer, offset + at + BLOCK_NAME_OFFSET, nameLength, index), blockLength);
    }

    private static String utf8(final DirectBuffer buffer, final int at, final int length, final int index) {
        final byte[] bytes = new byte[length];
        buffer.getBytes(at, bytes);
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (final CharacterCodingException ex) {
            throw new ProtocolException("invalid name of block " + index + ": not valid UTF-8 (" + length + " bytes)");
        }
    }

    private void requireLength(final int minimum) {
        ProtocolException.check(length >= minimum, "SETUP body length", length, ">= " + minimum);
    }
}
