package dev.ferry.engine.source;

import dev.ferry.engine.protocol.PacketHeaderFlyweight;
import dev.ferry.engine.protocol.Protocol;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;

/**
 * A pooled unit of work for a channel sender: up to {@link Protocol#MAX_PAGES_PER_PACKET} pages of one block, or a
 * SYNC, or the sender's last command. Packets are made once per channel and cycle between the migration thread and
 * the sender through two SPSC queues, so the steady state allocates nothing. Plain fields: the queues' release and
 * acquire order the hand-over.
 */
final class Packet {
    static final int DATA = 0;
    static final int SYNC = 1;
    static final int CLOSE = 2;

    final long[] pages = new long[Protocol.MAX_PAGES_PER_PACKET];
    final long[] zeroPages = new long[Protocol.MAX_PAGES_PER_PACKET];
    final ByteBuffer header = ByteBuffer.allocateDirect(PacketHeaderFlyweight.MAX_HEADER_AND_OFFSETS_LENGTH)
        .order(Protocol.BYTE_ORDER);
    final UnsafeBuffer headerBuffer = new UnsafeBuffer(header);
    int type;
    int blockId;
    int round;
    int pageCount;

    Packet data(final int blockId, final int round) {
        this.type = DATA;
        this.blockId = blockId;
        this.round = round;
        this.pageCount = 0;
        return this;
    }

    Packet control(final int type, final int round) {
        this.type = type;
        this.blockId = 0;
        this.round = round;
        this.pageCount = 0;
        return this;
    }

    boolean isFull() {
        return pageCount == Protocol.MAX_PAGES_PER_PACKET;
    }
}
