package dev.ferry.engine.protocol;

import dev.ferry.engine.GuestName;
import dev.ferry.memory.BlockSpec;
import dev.ferry.memory.FileIdentity;
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
 *  |            source host id (16 bytes: Linux's boot id,         | 12
 *  |            all zeros when unknown)                            |
 *  +---------------------------------------------------------------+
 *  then per block, {@link #BLOCK_NAME_OFFSET} + name length bytes:
 *  +-------------------------------+-------------------------------+
 *  |           block id            |     name length (bytes)       |  0
 *  +-------------------------------+-------------------------------+
 *  |                      block length (8 bytes)                   |  4
 *  +---------------------------------------------------------------+
 *  |          device of the source's backing file (8 bytes)        | 12
 *  +---------------------------------------------------------------+
 *  |          inode of the source's backing file (8 bytes)         | 20
 *  +---------------------------------------------------------------+
 *  |                      name, UTF-8                        ...   | 28
 *  +---------------------------------------------------------------+
 *  then the guest's name (version 4 on), which the destination places the guest by:
 *  +-------------------------------+-------------------------------+
 *  |     guest name length         |  guest name, ASCII (GuestName's rules) ...
 *  +-------------------------------+-------------------------------+
 * </pre>
 * Decoding checks every field (page size, block ids, name lengths and encoding, lengths and their sum) and names the
 * first bad one in a {@link ProtocolException}; nothing is created from a SETUP before it decodes whole. The host id
 * and the file identities (device and inode 0 for anonymous memory) let a destination on the same host refuse to
 * write a guest onto the very file it is read from; they mean nothing across hosts and are compared only when the
 * host ids are equal.
 */
public final class SetupFlyweight {
    public static final int PAGE_SIZE_OFFSET = 0;
    public static final int CHANNEL_COUNT_OFFSET = 4;
    public static final int BLOCK_COUNT_OFFSET = 6;
    public static final int VERIFY_OFFSET = 8;
    public static final int COMPRESSION_OFFSET = 10;
    public static final int HOST_ID_OFFSET = 12;
    public static final int HOST_ID_LENGTH = 16;
    public static final int BLOCKS_OFFSET = 28;
    public static final int BLOCK_ID_OFFSET = 0;
    public static final int BLOCK_NAME_LENGTH_OFFSET = 2;
    public static final int BLOCK_LENGTH_OFFSET = 4;
    public static final int BLOCK_DEVICE_OFFSET = 12;
    public static final int BLOCK_INODE_OFFSET = 20;
    public static final int BLOCK_NAME_OFFSET = 28;
    /** The guest name's length field, after the block table. */
    public static final int GUEST_NAME_LENGTH_LENGTH = 2;

    private MutableDirectBuffer buffer;
    private int offset;
    private int length;
    private int guestNameAt;

    /** Wraps a body of {@code length} bytes at {@code offset}; for encoding, {@code length} is the room. */
    public SetupFlyweight wrap(final MutableDirectBuffer buffer, final int offset, final int length) {
        this.buffer = buffer;
        this.offset = offset;
        this.length = length;
        this.guestNameAt = 0;
        return this;
    }

    /**
     * Writes the fixed part, every block and the guest's name, with no host id and no file identities; returns the
     * body's length.
     */
    public int encode(final int pageSizeBytes, final int channels, final int verifyMode, final int compression,
        final List<BlockSpec> blocks, final String guestName) {
        return encode(pageSizeBytes, channels, verifyMode, compression, blocks, new byte[HOST_ID_LENGTH], List.of(),
            guestName);
    }

    /**
     * Writes the fixed part and every block; returns the body's length.
     *
     * @param hostId 16 bytes naming the source's host ({@link FileIdentity#hostId()}).
     * @param files  the backing file of each block, in the order of {@code blocks} (null, or a shorter list, for
     *               anonymous memory).
     * @param guestName the guest's name ({@link GuestName}'s rules).
     */
    public int encode(final int pageSizeBytes, final int channels, final int verifyMode, final int compression,
        final List<BlockSpec> blocks, final byte[] hostId, final List<FileIdentity> files, final String guestName) {
        buffer.putInt(offset + PAGE_SIZE_OFFSET, pageSizeBytes, Protocol.BYTE_ORDER);
        buffer.putShort(offset + CHANNEL_COUNT_OFFSET, (short)channels, Protocol.BYTE_ORDER);
        buffer.putShort(offset + BLOCK_COUNT_OFFSET, (short)blocks.size(), Protocol.BYTE_ORDER);
        buffer.putShort(offset + VERIFY_OFFSET, (short)verifyMode, Protocol.BYTE_ORDER);
        buffer.putShort(offset + COMPRESSION_OFFSET, (short)compression, Protocol.BYTE_ORDER);
        buffer.putBytes(offset + HOST_ID_OFFSET, hostId, 0, HOST_ID_LENGTH);
        int at = offset + BLOCKS_OFFSET;
        for (int i = 0; i < blocks.size(); i++) {
            final BlockSpec block = blocks.get(i);
            final FileIdentity file = i < files.size() ? files.get(i) : null;
            final byte[] name = block.name().getBytes(StandardCharsets.UTF_8);
            buffer.putShort(at + BLOCK_ID_OFFSET, (short)block.id(), Protocol.BYTE_ORDER);
            buffer.putShort(at + BLOCK_NAME_LENGTH_OFFSET, (short)name.length, Protocol.BYTE_ORDER);
            buffer.putLong(at + BLOCK_LENGTH_OFFSET, block.lengthBytes(), Protocol.BYTE_ORDER);
            buffer.putLong(at + BLOCK_DEVICE_OFFSET, null == file ? 0 : file.device(), Protocol.BYTE_ORDER);
            buffer.putLong(at + BLOCK_INODE_OFFSET, null == file ? 0 : file.inode(), Protocol.BYTE_ORDER);
            buffer.putBytes(at + BLOCK_NAME_OFFSET, name);
            at += BLOCK_NAME_OFFSET + name.length;
        }
        final byte[] guest = guestName.getBytes(StandardCharsets.US_ASCII);
        buffer.putShort(at, (short)guest.length, Protocol.BYTE_ORDER);
        buffer.putBytes(at + GUEST_NAME_LENGTH_LENGTH, guest);
        return at + GUEST_NAME_LENGTH_LENGTH + guest.length - offset;
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

    /** The source's host id, 16 bytes (all zeros when it did not know it). */
    public byte[] hostId() {
        requireLength(BLOCKS_OFFSET);
        final byte[] id = new byte[HOST_ID_LENGTH];
        buffer.getBytes(offset + HOST_ID_OFFSET, id);
        return id;
    }

    /**
     * The backing file of each block the source named (anonymous blocks left out); call after {@link #blocks(int)}
     * has checked the table.
     */
    public List<FileIdentity> files() {
        final int count = blockCount();
        final List<FileIdentity> files = new ArrayList<>(count);
        int at = BLOCKS_OFFSET;
        for (int i = 0; i < count && at + BLOCK_NAME_OFFSET <= length; i++) {
            final long device = buffer.getLong(offset + at + BLOCK_DEVICE_OFFSET, Protocol.BYTE_ORDER);
            final long inode = buffer.getLong(offset + at + BLOCK_INODE_OFFSET, Protocol.BYTE_ORDER);
            if (device != 0 || inode != 0) {
                files.add(new FileIdentity(device, inode));
            }
            at += BLOCK_NAME_OFFSET + (buffer.getShort(offset + at + BLOCK_NAME_LENGTH_OFFSET, Protocol.BYTE_ORDER) & 0xFFFF);
        }
        return files;
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
        ProtocolException.check(at + GUEST_NAME_LENGTH_LENGTH <= length, "SETUP length", length,
            "room for the guest name after " + count + " blocks");
        final int nameLength = buffer.getShort(offset + at, Protocol.BYTE_ORDER) & 0xFFFF;
        ProtocolException.check(at + GUEST_NAME_LENGTH_LENGTH + nameLength == length, "SETUP guest name length",
            nameLength, (length - at - GUEST_NAME_LENGTH_LENGTH) + ", the rest of the body");
        guestNameAt = at;
        return specs;
    }

    /**
     * The guest's name, checked by {@link GuestName}'s rules (the destination turns it into a file name); call after
     * {@link #blocks(int)} has checked the table and the body's length.
     */
    public String guestName() {
        ProtocolException.check(guestNameAt > 0, "SETUP guest name", 0, "a block table decoded first");
        final int nameLength = buffer.getShort(offset + guestNameAt, Protocol.BYTE_ORDER) & 0xFFFF;
        final byte[] bytes = new byte[nameLength];
        buffer.getBytes(offset + guestNameAt + GUEST_NAME_LENGTH_LENGTH, bytes);
        final String name = new String(bytes, StandardCharsets.ISO_8859_1); // byte for byte: GuestName refuses >= 0x7F
        final String problem = GuestName.problem(name);
        if (null != problem) {
            throw new ProtocolException("invalid guest name in SETUP: " + problem);
        }
        return name;
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
