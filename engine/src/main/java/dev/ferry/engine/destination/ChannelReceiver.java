package dev.ferry.engine.destination;

import dev.ferry.engine.Compression;
import dev.ferry.engine.ErrorCode;
import dev.ferry.engine.FerryException;
import dev.ferry.engine.channel.Connection;
import dev.ferry.engine.protocol.PacketHeaderFlyweight;
import dev.ferry.engine.protocol.Protocol;
import dev.ferry.engine.protocol.ProtocolException;
import dev.ferry.engine.stats.Counters;
import dev.ferry.engine.stats.LatencyHistograms;
import dev.ferry.engine.text.ErrorText;
import dev.ferry.memory.DirtyBitmap;
import dev.ferry.memory.GuestMemory;
import dev.ferry.memory.RamBlock;
import dev.ferry.memory.internal.PageViews;
import dev.ferry.memory.internal.Pages;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;

/**
 * One data channel's receiver. Per packet: read the fixed header and check every field (magic, flags, round,
 * sequence, block, counts, payload length); read the offset table and check every offset (inside the block,
 * page-aligned); only then read the payload with one scattering read whose buffers are views of the destination
 * mapping at those offsets: no intermediate buffer, no byte written anywhere unchecked. In memory created zeroed a
 * zero page is filled only if a packet ever wrote that page (so a destination never touches a zero page it did not
 * write); in memory of unknown content, always. On SYNC the receiver stops at the barrier until the conductor
 * releases every channel on FLUSH. Pages of one channel are applied in the order they arrive.
 */
final class ChannelReceiver implements Runnable {
    private final ReceiverHost engine;
    private final int index;
    private final Connection connection;
    private final GuestMemory memory;
    private final DirtyBitmap[] writtenById;
    private final boolean zeroed;
    private final Counters.ChannelCounters counters;
    private final LatencyHistograms latency;
    private final PageApplyListener listener;
    private final ByteBuffer headerBytes = ByteBuffer.allocateDirect(PacketHeaderFlyweight.MAX_HEADER_AND_OFFSETS_LENGTH)
        .order(Protocol.BYTE_ORDER);
    private final PacketHeaderFlyweight header = new PacketHeaderFlyweight().wrap(new UnsafeBuffer(headerBytes));
    private final ByteBuffer[] iov = new ByteBuffer[Protocol.MAX_PAGES_PER_PACKET];
    private final long[] pages = new long[Protocol.MAX_PAGES_PER_PACKET];
    private final PageViews views;
    private final PacketDecompressor decompressor;
    private long expectedRound;
    private long expectedSequence;

    ChannelReceiver(
        final ReceiverHost engine, final int index, final Connection connection, final SessionSetup session,
        final Counters counters, final PageApplyListener listener) {
        this.engine = engine;
        this.index = index;
        this.connection = connection;
        this.memory = session.memory();
        this.writtenById = session.writtenById();
        this.zeroed = session.zeroed();
        this.counters = counters.channel(index);
        this.latency = counters.latency();
        this.listener = listener;
        this.views = new PageViews(memory, Protocol.MAX_PAGES_PER_PACKET);
        this.decompressor = session.compression() == Compression.NONE ? null :
            new PacketDecompressor(session.compression(), memory.pageSizeBytes());
    }

    @Override
    public void run() {
        try {
            while (readPacket()) {
                if (engine.isFinished()) {
                    return;
                }
            }
        } catch (final ProtocolException ex) {
            engine.fail(new FerryException(ErrorCode.PROTOCOL_VIOLATION, "data channel " + index + ": " +
                ex.getMessage()));
        } catch (final FerryException ex) {
            engine.fail(ex);
        } catch (final IOException ex) {
            // Often the echo of the source failing or cancelling: give its reason on the main channel a moment.
            engine.channelLost(index, "failed: " + ErrorText.of(ex));
        } catch (final RuntimeException ex) {
            engine.fail(new FerryException(ErrorCode.INTERNAL, "data channel " + index + " failed: " + ErrorText.of(ex),
                ex));
        } catch (final InternalError ex) {
            // A store through a file mapping faulted (SIGBUS: decompressed pages are copied in by the JVM). The JVM
            // raises it at the thread's next safepoint, not at the store, so it is caught here, around everything.
            engine.fail(storeFaulted(ex));
        } finally {
            if (null != decompressor) {
                decompressor.close();
            }
        }
    }

    /** Reads and applies one packet; false at a clean end (EOF after COMPLETE). */
    private boolean readPacket() throws IOException {
        headerBytes.clear().limit(PacketHeaderFlyweight.HEADER_LENGTH);
        if (!connection.readFullyOrEof(headerBytes)) {
            if (!engine.isCompleteReceived()) {
                engine.channelLost(index, "closed by the source before COMPLETE");
            }
            return false;
        }
        final long startNs = System.nanoTime();
        checkHeader();
        final int normal = header.normalCount();
        final int zero = header.zeroCount();
        final boolean compressed = (header.flags() & PacketHeaderFlyweight.COMPRESSED_FLAG) != 0;
        if ((header.flags() & PacketHeaderFlyweight.SYNC_FLAG) != 0) {
            if (compressed) {
                throw invalid("packet flags", header.flags(), "SYNC alone: a SYNC is never compressed");
            }
            if (normal != 0 || zero != 0 || header.payloadLength() != 0) {
                throw invalid("SYNC page count", normal + zero, "0 pages and no payload");
            }
            counters.add(PacketHeaderFlyweight.HEADER_LENGTH, 0, 0);
            if (!engine.arriveAtSync(index, expectedRound)) {
                return false;
            }
            expectedRound++;
            return true;
        }
        final RamBlock block = memory.block(header.blockId());
        if (null == block) {
            throw invalid("block id", header.blockId(), "a block from SETUP");
        }
        final int pageCount = normal + zero;
        if (pageCount < 1 || pageCount > Protocol.MAX_PAGES_PER_PACKET) {
            throw invalid("packet page count", pageCount, "1.." + Protocol.MAX_PAGES_PER_PACKET);
        }
        final long payloadLength = compressed ? header.payloadLength() : (long)normal << block.pageShift();
        final int prefix = PacketHeaderFlyweight.headerAndOffsetsLength(pageCount) +
            (compressed && null != decompressor ? decompressor.frameTableLength(normal) : 0);
        if (compressed) {
            if (null == decompressor) {
                throw invalid("packet flags", header.flags(), "no compressed packet: SETUP announced no compression");
            }
            readOffsets(block, pageCount, prefix);
            decompressor.checkFrames(header, pageCount, normal, payloadLength);
        } else {
            if (header.payloadLength() != payloadLength) {
                throw invalid("payload length", header.payloadLength(), payloadLength + " (" + normal + " pages)");
            }
            readOffsets(block, pageCount, prefix);
        }
        apply(block, normal, pageCount, compressed);
        counters.add(prefix + payloadLength, normal, zero);
        if (null != decompressor) {
            counters.addPayload((long)normal << block.pageShift(), payloadLength, decompressor.takeNanos());
        }
        latency.recordPacketLatency(System.nanoTime() - startNs);
        return true;
    }

    /** Reads the normal pages straight into the mapping, then fills the zero pages that need it. */
    private void apply(final RamBlock block, final int normal, final int pageCount, final boolean compressed)
        throws IOException {
        final int blockId = block.id();
        try {
            if (compressed) {
                decompressor.apply(connection, block, pages, normal);
            } else {
                connection.readFully(iov, views.runs(blockId, pages, normal, iov, 0));
            }
        } catch (final IOException ex) {
            final FerryException outOfSpace = outOfSpace(ex, block, normal);
            if (null != outOfSpace) {
                throw outOfSpace;
            }
            throw ex;
        }
        final DirtyBitmap written = writtenById[blockId];
        for (int i = 0; i < normal; i++) {
            written.markDirty(pages[i]);
            if (null != listener) {
                listener.onPageApplied(index, block, pages[i]);
            }
        }
        for (int i = normal; i < pageCount; i++) {
            if (!zeroed || written.isDirty(pages[i])) {
                Pages.zero(block, pages[i]);
            }
        }
    }

    /** Magic, flags, round and sequence; checks build their message only when they fail: nothing per packet. */
    private void checkHeader() {
        if (header.magic() != Protocol.PACKET_MAGIC) {
            throw invalid("packet magic", header.magic(), "0x" + Integer.toHexString(Protocol.PACKET_MAGIC));
        }
        final int flags = header.flags();
        if ((flags & ~PacketHeaderFlyweight.KNOWN_FLAGS) != 0) {
            throw invalid("packet flags", flags, "only known flags (0x" +
                Integer.toHexString(PacketHeaderFlyweight.KNOWN_FLAGS) + ")");
        }
        if (engine.isCompleteReceived()) {
            throw invalid("packet after COMPLETE, sequence", header.sequence(), "no packet after COMPLETE");
        }
        if (header.round() != expectedRound) {
            throw invalid("packet round", header.round(), Long.toString(expectedRound));
        }
        if (header.sequence() != expectedSequence) {
            throw invalid("packet sequence", header.sequence(), Long.toString(expectedSequence));
        }
        expectedSequence = (expectedSequence + 1) & 0xFFFF_FFFFL;
    }

    /**
     * A read into a file mapping whose file system is full fails with EFAULT ("Bad address"): that is the memory,
     * not the network, and is said so, naming the file; null for any other I/O error, which is the connection's.
     */
    private static FerryException outOfSpace(final IOException ex, final RamBlock block, final int pages) {
        if (!block.isFileBacked()) {
            return null;
        }
        long usable = -1;
        try {
            usable = Files.getFileStore(block.path()).getUsableSpace();
        } catch (final IOException ignore) {
            // the message below says so.
        }
        if (String.valueOf(ex.getMessage()).contains("Bad address") ||
            usable >= 0 && usable < (long)pages * block.pageSizeBytes()) {
            return new FerryException(ErrorCode.MEMORY, "memory file " + block.path() + " ran out of space on its " +
                "file system while receiving block '" + block.name() + "' (" + usable + " bytes usable; the guest's " +
                "pages are allocated as they arrive): " + ex.getMessage());
        }
        return null;
    }

    /** The memory, not the channel: a full file system names its file, as a failed read into the mapping does. */
    private FerryException storeFaulted(final InternalError ex) {
        for (final RamBlock block : memory.blocks()) {
            final FerryException outOfSpace = outOfSpace(new IOException(ex.getMessage()), block, 1);
            if (null != outOfSpace) {
                return outOfSpace;
            }
        }
        return new FerryException(ErrorCode.MEMORY, "data channel " + index + ": a store into the guest's memory " +
            "faulted (a memory file truncated or its file system full?): " + ex.getMessage());
    }

    private static ProtocolException invalid(final String field, final long value, final String expected) {
        return new ProtocolException("invalid " + field + " " + value + ": expected " + expected);
    }

    private void readOffsets(final RamBlock block, final int pageCount, final int prefixLength) throws IOException {
        headerBytes.limit(prefixLength);
        connection.readFully(headerBytes);
        final long length = block.lengthBytes();
        final long pageMask = block.pageSizeBytes() - 1;
        for (int i = 0; i < pageCount; i++) {
            final long offset = header.pageOffset(i);
            if (offset < 0 || offset >= length || (offset & pageMask) != 0) {
                throw new ProtocolException("invalid page offset " + offset + " in block '" + block.name() +
                    "': expected a multiple of " + block.pageSizeBytes() + " below " + length);
            }
            pages[i] = offset >>> block.pageShift();
        }
    }
}
