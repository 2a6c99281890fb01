package dev.ferry.engine.protocol;

import org.agrona.MutableDirectBuffer;

/**
 * The four fixed-size messages that open every connection, main or data. The connecting side (the source) is the
 * client.
 * <pre>
 * HELLO, client to server, 64 bytes
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                        magic "FRRY"                           |  0
 *  +-------------------------------+---------------+---------------+
 *  |           version             |     kind      |     flags     |  4
 *  +-------------------------------+---------------+---------------+
 *  |        channel index          |        channel count          |  8
 *  +-------------------------------+-------------------------------+
 *  |                          reserved                             | 12
 *  +---------------------------------------------------------------+
 *  |                  session id (16 bytes)                        | 16
 *  +---------------------------------------------------------------+
 *  |                 client nonce (32 bytes)                       | 32
 *  +---------------------------------------------------------------+
 *
 * CHALLENGE, server to client, 72 bytes
 *  +---------------------------------------------------------------+
 *  |                        magic "FRRY"                           |  0
 *  +-------------------------------+---------------+---------------+
 *  |   server's version            |    status     |     flags     |  4
 *  +-------------------------------+---------------+---------------+
 *  |                 server nonce (32 bytes)                       |  8
 *  +---------------------------------------------------------------+
 *  |     server proof: HMAC-SHA256 "ferry destination" (32 bytes)  | 40
 *  +---------------------------------------------------------------+
 *
 * PROOF, client to server, 32 bytes
 *  |     client proof: HMAC-SHA256 "ferry source" (32 bytes)       |  0
 *
 * ACCEPT, server to client, 8 bytes
 *  +-------------------------------+-------------------------------+
 *  |           status              |     reason (BUSY, else 0)     |  0
 *  +-------------------------------+-------------------------------+
 *  |                 limit (BUSY, else 0)                          |  4
 *  +---------------------------------------------------------------+
 * </pre>
 * kind: 1 main, 2 data. flags: bit 0 insecure (no shared secret; both sides must say so). Each proof is an
 * HMAC-SHA256, keyed with the shared secret, over a direction label, both nonces, the session id, kind, index and
 * count (see {@code Handshake}); proofs are compared in constant time.
 */
public final class HandshakeFlyweight {
    public static final int MAGIC_OFFSET = 0;
    public static final int VERSION_OFFSET = 4;
    public static final int KIND_OFFSET = 6;
    public static final int FLAGS_OFFSET = 7;
    public static final int CHANNEL_INDEX_OFFSET = 8;
    public static final int CHANNEL_COUNT_OFFSET = 10;
    public static final int SESSION_ID_OFFSET = 16;
    public static final int SESSION_ID_LENGTH = 16;
    public static final int CLIENT_NONCE_OFFSET = 32;
    public static final int NONCE_LENGTH = 32;
    public static final int HELLO_LENGTH = 64;

    public static final int STATUS_OFFSET = 6;
    public static final int SERVER_NONCE_OFFSET = 8;
    public static final int SERVER_PROOF_OFFSET = 40;
    public static final int PROOF_LENGTH = 32;
    public static final int CHALLENGE_LENGTH = 72;

    public static final int ACCEPT_STATUS_OFFSET = 0;
    public static final int ACCEPT_REASON_OFFSET = 2;
    public static final int ACCEPT_LIMIT_OFFSET = 4;
    public static final int ACCEPT_LENGTH = 8;

    public static final int KIND_MAIN = 1;
    public static final int KIND_DATA = 2;
    public static final int INSECURE_FLAG = 0x1;

    /** CHALLENGE status: go on to PROOF. */
    public static final int CHALLENGE_OK = 0;
    /** CHALLENGE status: the server speaks another version (in the version field). */
    public static final int CHALLENGE_VERSION_MISMATCH = 1;
    /** CHALLENGE status: one side is insecure and the other is not. */
    public static final int CHALLENGE_INSECURE_MISMATCH = 2;

    public static final int ACCEPT_OK = 0;
    public static final int ACCEPT_AUTH_FAILED = 1;
    public static final int ACCEPT_NO_SESSION = 2;
    public static final int ACCEPT_SESSION_MISMATCH = 3;
    public static final int ACCEPT_DUPLICATE_CHANNEL = 4;
    public static final int ACCEPT_CHANNEL_OUT_OF_RANGE = 5;
    public static final int ACCEPT_BUSY = 6;
    public static final int ACCEPT_BAD_KIND = 7;
    /** The main channel's HELLO announced a channel count outside 1..{@link Protocol#MAX_CHANNELS}. */
    public static final int ACCEPT_CHANNEL_COUNT_OUT_OF_RANGE = 8;

    /** BUSY reason: a peer that gave none (zeros, as before reasons were sent). */
    public static final int BUSY_UNSAID = 0;
    /** BUSY reason: it receives {@code limit} migrations at once, its limit; one may end soon. */
    public static final int BUSY_AT_LIMIT = 1;
    /** BUSY reason: it has taken all {@code limit} migrations it was started for. */
    public static final int BUSY_ALL_TAKEN = 2;
    /** BUSY reason: it is closing or draining and takes no new migration. */
    public static final int BUSY_CLOSING = 3;

    private HandshakeFlyweight() {
    }

    /** Writes a HELLO at 0 of {@code buffer}. */
    public static void encodeHello(
        final MutableDirectBuffer buffer, final int kind, final boolean insecure, final int channelIndex,
        final int channelCount, final byte[] sessionId, final byte[] clientNonce) {
        buffer.setMemory(0, HELLO_LENGTH, (byte)0);
        buffer.putInt(MAGIC_OFFSET, Protocol.HANDSHAKE_MAGIC, Protocol.BYTE_ORDER);
        buffer.putShort(VERSION_OFFSET, (short)Protocol.VERSION, Protocol.BYTE_ORDER);
        buffer.putByte(KIND_OFFSET, (byte)kind);
        buffer.putByte(FLAGS_OFFSET, (byte)(insecure ? INSECURE_FLAG : 0));
        buffer.putShort(CHANNEL_INDEX_OFFSET, (short)channelIndex, Protocol.BYTE_ORDER);
        buffer.putShort(CHANNEL_COUNT_OFFSET, (short)channelCount, Protocol.BYTE_ORDER);
        buffer.putBytes(SESSION_ID_OFFSET, sessionId, 0, SESSION_ID_LENGTH);
        buffer.putBytes(CLIENT_NONCE_OFFSET, clientNonce, 0, NONCE_LENGTH);
    }

    /** Writes a CHALLENGE at 0 of {@code buffer}. */
    public static void encodeChallenge(
        final MutableDirectBuffer buffer, final int status, final boolean insecure, final byte[] serverNonce,
        final byte[] serverProof) {
        buffer.setMemory(0, CHALLENGE_LENGTH, (byte)0);
        buffer.putInt(MAGIC_OFFSET, Protocol.HANDSHAKE_MAGIC, Protocol.BYTE_ORDER);
        buffer.putShort(VERSION_OFFSET, (short)Protocol.VERSION, Protocol.BYTE_ORDER);
        buffer.putByte(STATUS_OFFSET, (byte)status);
        buffer.putByte(FLAGS_OFFSET, (byte)(insecure ? INSECURE_FLAG : 0));
        if (null != serverNonce) {
            buffer.putBytes(SERVER_NONCE_OFFSET, serverNonce, 0, NONCE_LENGTH);
        }
        if (null != serverProof) {
            buffer.putBytes(SERVER_PROOF_OFFSET, serverProof, 0, PROOF_LENGTH);
        }
    }

    /**
     * A door's answer, the ACCEPT's three fields in one value: {@code status} with no reason and no limit.
     * Read back with {@link #answerStatus}, {@link #answerReason} and {@link #answerLimit}.
     */
    public static long answer(final int status) {
        return status & 0xFFFFL;
    }

    /** The answer BUSY, saying why ({@code reason}, one of the BUSY_ constants) and the {@code limit} it met. */
    public static long busy(final int reason, final long limit) {
        return ACCEPT_BUSY | (reason & 0xFFFFL) << 16 | Math.min(limit, 0xFFFF_FFFFL) << 32;
    }

    public static int answerStatus(final long answer) {
        return (int)(answer & 0xFFFF);
    }

    public static int answerReason(final long answer) {
        return (int)(answer >>> 16 & 0xFFFF);
    }

    public static long answerLimit(final long answer) {
        return answer >>> 32;
    }

    /** Writes an ACCEPT carrying {@code answer} ({@link #answer}, {@link #busy}) at 0 of {@code buffer}. */
    public static void encodeAccept(final MutableDirectBuffer buffer, final long answer) {
        buffer.setMemory(0, ACCEPT_LENGTH, (byte)0);
        buffer.putShort(ACCEPT_STATUS_OFFSET, (short)answerStatus(answer), Protocol.BYTE_ORDER);
        buffer.putShort(ACCEPT_REASON_OFFSET, (short)answerReason(answer), Protocol.BYTE_ORDER);
        buffer.putInt(ACCEPT_LIMIT_OFFSET, (int)answerLimit(answer), Protocol.BYTE_ORDER);
    }

    /** The ACCEPT at 0 of {@code buffer} as an answer. */
    public static long decodeAccept(final MutableDirectBuffer buffer) {
        return answer(acceptStatus(buffer)) |
            (buffer.getShort(ACCEPT_REASON_OFFSET, Protocol.BYTE_ORDER) & 0xFFFFL) << 16 |
            (buffer.getInt(ACCEPT_LIMIT_OFFSET, Protocol.BYTE_ORDER) & 0xFFFF_FFFFL) << 32;
    }

    public static int magic(final MutableDirectBuffer buffer) {
        return buffer.getInt(MAGIC_OFFSET, Protocol.BYTE_ORDER);
    }

    public static int version(final MutableDirectBuffer buffer) {
        return buffer.getShort(VERSION_OFFSET, Protocol.BYTE_ORDER) & 0xFFFF;
    }

    public static int kind(final MutableDirectBuffer buffer) {
        return buffer.getByte(KIND_OFFSET) & 0xFF;
    }

    public static boolean insecure(final MutableDirectBuffer buffer) {
        return (buffer.getByte(FLAGS_OFFSET) & INSECURE_FLAG) != 0;
    }

    public static int channelIndex(final MutableDirectBuffer buffer) {
        return buffer.getShort(CHANNEL_INDEX_OFFSET, Protocol.BYTE_ORDER) & 0xFFFF;
    }

    public static int channelCount(final MutableDirectBuffer buffer) {
        return buffer.getShort(CHANNEL_COUNT_OFFSET, Protocol.BYTE_ORDER) & 0xFFFF;
    }

    public static int challengeStatus(final MutableDirectBuffer buffer) {
        return buffer.getByte(STATUS_OFFSET) & 0xFF;
    }

    public static int acceptStatus(final MutableDirectBuffer buffer) {
        return buffer.getShort(ACCEPT_STATUS_OFFSET, Protocol.BYTE_ORDER) & 0xFFFF;
    }

    /** A short description of an ACCEPT answer, for error messages; a BUSY says why and the limit it met. */
    public static String acceptText(final long answer) {
        return answerStatus(answer) == ACCEPT_BUSY ? busyText(answerReason(answer), answerLimit(answer)) :
            acceptStatusText(answerStatus(answer));
    }

    private static String busyText(final int reason, final long limit) {
        switch (reason) {
            case BUSY_AT_LIMIT:
                return "the destination is busy: it is receiving " + limit + " migration" + (1 == limit ? "" : "s") +
                    " at once, its limit; try again when one has ended";
            case BUSY_ALL_TAKEN:
                return "the destination is busy: it has taken the " + (1 == limit ? "one migration" : limit +
                    " migrations") + " it takes in all";
            case BUSY_CLOSING:
                return "the destination is busy: it is draining (closing) and takes no new migration";
            default:
                return "the destination is busy: it is already receiving as many migrations as it takes";
        }
    }

    /** A short description of an ACCEPT status, for error messages. */
    public static String acceptStatusText(final int status) {
        switch (status) {
            case ACCEPT_OK:
                return "accepted";
            case ACCEPT_AUTH_FAILED:
                return "authentication failed (the shared secrets differ)";
            case ACCEPT_NO_SESSION:
                return "no migration session is open yet";
            case ACCEPT_SESSION_MISMATCH:
                return "the session id or channel count does not match the open session";
            case ACCEPT_DUPLICATE_CHANNEL:
                return "that channel index is already connected";
            case ACCEPT_CHANNEL_OUT_OF_RANGE:
                return "channel index out of range";
            case ACCEPT_BUSY:
                return busyText(BUSY_UNSAID, 0);
            case ACCEPT_BAD_KIND:
                return "unknown connection kind";
            case ACCEPT_CHANNEL_COUNT_OUT_OF_RANGE:
                return "channel count out of range (1.." + Protocol.MAX_CHANNELS + ")";
            default:
                return "unknown status " + status;
        }
    }
}
