package dev.ferry.engine.channel;

import dev.ferry.engine.ErrorCode;
import dev.ferry.engine.FerryException;
import dev.ferry.engine.Secret;
import dev.ferry.engine.protocol.HandshakeFlyweight;
import dev.ferry.engine.protocol.Protocol;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import javax.crypto.Mac;

/**
 * The mutual, HMAC-based handshake that opens every connection (layouts in {@link HandshakeFlyweight}).
 * <ol>
 *   <li>client HELLO: version, kind, channel index and count, session id, a fresh client nonce;</li>
 *   <li>server CHALLENGE: a fresh server nonce and the server's proof, HMAC(secret, "ferry destination" ...);</li>
 *   <li>the client checks the server's proof <em>before sending anything else</em>, so an impostor listener gets
 *   no page; then it sends PROOF, HMAC(secret, "ferry source" ...);</li>
 *   <li>the server checks it and answers ACCEPT with a status (wrong secret, duplicate channel, ...).</li>
 * </ol>
 * Direction labels make each proof useless in the other direction; fresh nonces on both sides make a recorded
 * proof useless in another handshake. Proofs are compared with {@link MessageDigest#isEqual}, in constant time.
 */
public final class Handshake {
    private static final byte[] SOURCE_LABEL = "ferry source".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] DESTINATION_LABEL = "ferry destination".getBytes(StandardCharsets.US_ASCII);

    private Handshake() {
    }

    /**
     * Does a throwaway handshake computation, so that what the first real one needs is loaded and initialized: the
     * JCE provider behind HMAC-SHA256 and a seeded {@link SecureRandom} (see {@link dev.ferry.engine.ColdStart}). A
     * failure here is left for the real handshake to report.
     */
    public static void prepare() {
        try {
            proof(Secret.insecure(), SOURCE_LABEL, nonce(), nonce(), newSessionId(), 0, 0, 1);
        } catch (final RuntimeException ignore) {
            // the first real handshake meets the same failure and names it
        }
    }

    /** Made on first use, so that {@link #prepare()} on a background thread seeds it off the caller's. */
    private static final class Random {
        static final SecureRandom SECURE = new SecureRandom();
    }

    /** The destination answered the client's proof with a refusal: its ACCEPT status is {@link #status}. */
    public static final class Refused extends FerryException {
        private static final long serialVersionUID = 1L;
        private final int status;

        Refused(final ErrorCode code, final int status, final String message) {
            super(code, message);
            this.status = status;
        }

        /** The ACCEPT status, one of {@code HandshakeFlyweight.ACCEPT_}. */
        public int status() {
            return status;
        }
    }

    /** What the server learnt from a client's HELLO. */
    public record Hello(int kind, int channelIndex, int channelCount, byte[] sessionId) {
    }

    /** Decides whether to admit a client that proved the secret: returns an ACCEPT answer ({@code HandshakeFlyweight.answer}). */
    @FunctionalInterface
    public interface Admission {
        long admit(Hello hello);
    }

    /** Whose turn it is, as the server sees its handshake go: the destination protects a client's short turns. */
    public interface Turns {
        /** The client's HELLO is in, whatever it holds: the server's turn. */
        void helloRead();

        /** The CHALLENGE is sent: the client's turn, to prove the secret. */
        void challengeSent();
    }

    /** A fresh random 128-bit session id. */
    public static byte[] newSessionId() {
        final byte[] id = new byte[HandshakeFlyweight.SESSION_ID_LENGTH];
        Random.SECURE.nextBytes(id);
        return id;
    }

    /**
     * Runs the client side on {@code connection}.
     *
     * @throws FerryException naming the reason when the server refuses or fails its proof.
     */
    public static void client(
        final Connection connection, final Secret secret, final byte[] sessionId, final int kind,
        final int channelIndex, final int channelCount) throws IOException {
        final ByteBuffer bytes = ByteBuffer.allocateDirect(HandshakeFlyweight.CHALLENGE_LENGTH);
        final UnsafeBuffer buffer = new UnsafeBuffer(bytes);
        final byte[] clientNonce = nonce();
        HandshakeFlyweight.encodeHello(buffer, kind, secret.isInsecure(), channelIndex, channelCount, sessionId,
            clientNonce);
        connection.writeFully(bytes.clear().limit(HandshakeFlyweight.HELLO_LENGTH));

        connection.readFully(bytes.clear().limit(HandshakeFlyweight.CHALLENGE_LENGTH));
        if (HandshakeFlyweight.magic(buffer) != Protocol.HANDSHAKE_MAGIC) {
            throw new FerryException(ErrorCode.HANDSHAKE_FAILED, connection + ": the peer is not a Ferry destination" +
                " (bad magic 0x" + Integer.toHexString(HandshakeFlyweight.magic(buffer)) + ")");
        }
        final int status = HandshakeFlyweight.challengeStatus(buffer);
        if (status == HandshakeFlyweight.CHALLENGE_VERSION_MISMATCH) {
            throw new FerryException(ErrorCode.VERSION_MISMATCH, "protocol version mismatch: this source speaks " +
                Protocol.VERSION + ", the destination speaks " + HandshakeFlyweight.version(buffer));
        }
        if (status == HandshakeFlyweight.CHALLENGE_INSECURE_MISMATCH) {
            throw new FerryException(ErrorCode.AUTHENTICATION_FAILED, insecureMismatch(secret.isInsecure(),
                "this source", "the destination"));
        }
        if (status != HandshakeFlyweight.CHALLENGE_OK) {
            throw new FerryException(ErrorCode.HANDSHAKE_FAILED, connection + ": unknown challenge status " + status);
        }
        final byte[] serverNonce = new byte[HandshakeFlyweight.NONCE_LENGTH];
        buffer.getBytes(HandshakeFlyweight.SERVER_NONCE_OFFSET, serverNonce);
        final byte[] serverProof = new byte[HandshakeFlyweight.PROOF_LENGTH];
        buffer.getBytes(HandshakeFlyweight.SERVER_PROOF_OFFSET, serverProof);
        final byte[] expected = proof(secret, DESTINATION_LABEL, clientNonce, serverNonce, sessionId, kind,
            channelIndex, channelCount);
        if (!MessageDigest.isEqual(expected, serverProof)) {
            throw new FerryException(ErrorCode.AUTHENTICATION_FAILED, connection + ": the destination failed to prove" +
                " it knows the shared secret; nothing was sent to it");
        }

        final byte[] clientProof = proof(secret, SOURCE_LABEL, clientNonce, serverNonce, sessionId, kind,
            channelIndex, channelCount);
        connection.writeFully(ByteBuffer.wrap(clientProof));

        connection.readFully(bytes.clear().limit(HandshakeFlyweight.ACCEPT_LENGTH));
        final long accept = HandshakeFlyweight.decodeAccept(buffer);
        if (HandshakeFlyweight.answerStatus(accept) != HandshakeFlyweight.ACCEPT_OK) {
            throw new Refused(refusalCode(HandshakeFlyweight.answerStatus(accept)), HandshakeFlyweight.answerStatus(accept),
                connection + " refused by the destination: " + HandshakeFlyweight.acceptText(accept));
        }
    }

    /**
     * Runs the server side on {@code connection}; {@code admission} decides on a client that proved the secret (and
     * is called only then); {@code turns} hears when the HELLO is in and when the CHALLENGE is out.
     *
     * @return the client's HELLO once accepted.
     * @throws FerryException naming the reason when the client is refused.
     */
    public static Hello server(final Connection connection, final Secret secret, final Admission admission,
        final Turns turns) throws IOException {
        final ByteBuffer bytes = ByteBuffer.allocateDirect(HandshakeFlyweight.CHALLENGE_LENGTH);
        final UnsafeBuffer buffer = new UnsafeBuffer(bytes);
        connection.readFully(bytes.clear().limit(HandshakeFlyweight.HELLO_LENGTH));
        turns.helloRead();
        if (HandshakeFlyweight.magic(buffer) != Protocol.HANDSHAKE_MAGIC) {
            throw new FerryException(ErrorCode.HANDSHAKE_FAILED, "not a Ferry client (bad magic 0x" +
                Integer.toHexString(HandshakeFlyweight.magic(buffer)) + ")");
        }
        final int version = HandshakeFlyweight.version(buffer);
        final boolean clientInsecure = HandshakeFlyweight.insecure(buffer);
        final Hello hello = readHello(buffer);
        final byte[] clientNonce = new byte[HandshakeFlyweight.NONCE_LENGTH];
        buffer.getBytes(HandshakeFlyweight.CLIENT_NONCE_OFFSET, clientNonce);

        if (version != Protocol.VERSION) {
            HandshakeFlyweight.encodeChallenge(buffer, HandshakeFlyweight.CHALLENGE_VERSION_MISMATCH,
                secret.isInsecure(), null, null);
            connection.writeFully(bytes.clear().limit(HandshakeFlyweight.CHALLENGE_LENGTH));
            throw new FerryException(ErrorCode.VERSION_MISMATCH, "protocol version mismatch: the source speaks " +
                version + ", this destination speaks " + Protocol.VERSION);
        }
        if (clientInsecure != secret.isInsecure()) {
            HandshakeFlyweight.encodeChallenge(buffer, HandshakeFlyweight.CHALLENGE_INSECURE_MISMATCH,
                secret.isInsecure(), null, null);
            connection.writeFully(bytes.clear().limit(HandshakeFlyweight.CHALLENGE_LENGTH));
            throw new FerryException(ErrorCode.AUTHENTICATION_FAILED, insecureMismatch(secret.isInsecure(),
                "this destination", "the source"));
        }
        final byte[] serverNonce = nonce();
        final byte[] serverProof = proof(secret, DESTINATION_LABEL, clientNonce, serverNonce, hello.sessionId(),
            hello.kind(), hello.channelIndex(), hello.channelCount());
        HandshakeFlyweight.encodeChallenge(buffer, HandshakeFlyweight.CHALLENGE_OK, secret.isInsecure(), serverNonce,
            serverProof);
        connection.writeFully(bytes.clear().limit(HandshakeFlyweight.CHALLENGE_LENGTH));
        turns.challengeSent();

        final byte[] clientProof = new byte[HandshakeFlyweight.PROOF_LENGTH];
        connection.readFully(ByteBuffer.wrap(clientProof));
        final byte[] expected = proof(secret, SOURCE_LABEL, clientNonce, serverNonce, hello.sessionId(),
            hello.kind(), hello.channelIndex(), hello.channelCount());
        final long answer = MessageDigest.isEqual(expected, clientProof) ?
            admission.admit(hello) : HandshakeFlyweight.answer(HandshakeFlyweight.ACCEPT_AUTH_FAILED);
        HandshakeFlyweight.encodeAccept(buffer, answer);
        connection.writeFully(bytes.clear().limit(HandshakeFlyweight.ACCEPT_LENGTH));
        if (HandshakeFlyweight.answerStatus(answer) != HandshakeFlyweight.ACCEPT_OK) {
            throw new FerryException(refusalCode(HandshakeFlyweight.answerStatus(answer)),
                HandshakeFlyweight.acceptText(answer));
        }
        return hello;
    }

    private static ErrorCode refusalCode(final int status) {
        return status == HandshakeFlyweight.ACCEPT_AUTH_FAILED ? ErrorCode.AUTHENTICATION_FAILED :
            status == HandshakeFlyweight.ACCEPT_BUSY ? ErrorCode.DESTINATION_BUSY : ErrorCode.HANDSHAKE_FAILED;
    }

    private static Hello readHello(final UnsafeBuffer buffer) {
        final byte[] sessionId = new byte[HandshakeFlyweight.SESSION_ID_LENGTH];
        buffer.getBytes(HandshakeFlyweight.SESSION_ID_OFFSET, sessionId);
        return new Hello(HandshakeFlyweight.kind(buffer), HandshakeFlyweight.channelIndex(buffer),
            HandshakeFlyweight.channelCount(buffer), sessionId);
    }

    private static String insecureMismatch(final boolean localInsecure, final String local, final String remote) {
        return localInsecure ?
            local + " runs --insecure but " + remote + " expects a shared secret; give both the same --secret-file" :
            remote + " runs --insecure but " + local + " has a shared secret; both sides must say --insecure";
    }

    private static byte[] nonce() {
        final byte[] nonce = new byte[HandshakeFlyweight.NONCE_LENGTH];
        Random.SECURE.nextBytes(nonce);
        return nonce;
    }

    static byte[] proof(
        final Secret secret, final byte[] label, final byte[] clientNonce, final byte[] serverNonce,
        final byte[] sessionId, final int kind, final int channelIndex, final int channelCount) {
        final Mac mac = secret.newHmac();
        mac.update(label);
        mac.update(clientNonce);
        mac.update(serverNonce);
        mac.update(sessionId);
        mac.update((byte)kind);
        mac.update((byte)(channelIndex >>> 8));
        mac.update((byte)channelIndex);
        mac.update((byte)(channelCount >>> 8));
        mac.update((byte)channelCount);
        return mac.doFinal();
    }
}
