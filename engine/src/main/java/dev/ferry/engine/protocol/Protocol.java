package dev.ferry.engine.protocol;

import java.nio.ByteOrder;

/** Constants shared by every message: magic numbers, the version, limits. */
public final class Protocol {
    /** Every field on the wire is little-endian. */
    public static final ByteOrder BYTE_ORDER = ByteOrder.LITTLE_ENDIAN;
    /** The protocol version this build speaks; a peer speaking another is refused with both numbers named. */
    public static final int VERSION = 4;
    /** Handshake magic: ASCII "FRRY" read little-endian. */
    public static final int HANDSHAKE_MAGIC = 0x59525246;
    /** Data packet magic: ASCII "FRYD" read little-endian. */
    public static final int PACKET_MAGIC = 0x44595246;
    /** Most pages in one data packet, all of one block. */
    public static final int MAX_PAGES_PER_PACKET = 256;
    /** Most data channels in one migration. */
    public static final int MAX_CHANNELS = 64;
    /** Most RAM blocks in one guest. */
    public static final int MAX_BLOCKS = 256;
    /** Largest main-channel message body: the device state travels in one. */
    public static final int MAX_MESSAGE_BODY_LENGTH = 64 * 1024 * 1024;
    /** Longest text (error, reason) in a message, in UTF-8 bytes. */
    public static final int MAX_TEXT_LENGTH = 4096;

    private Protocol() {
    }
}
