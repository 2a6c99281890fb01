package dev.ferry.engine.destination;

import dev.ferry.engine.channel.Handshake;
import dev.ferry.engine.protocol.HandshakeFlyweight;
import dev.ferry.engine.protocol.Protocol;

import java.util.Arrays;

/**
 * Whom the {@link Admission} admits once a client has proved the secret: one main channel, whose HELLO names the
 * session and its channel count; then, once SETUP has made the memory, the data channels of that session, each index
 * once. Each refusal is an ACCEPT status the client reports.
 */
final class SessionRules {
    private boolean mainTaken;
    private byte[] sessionId;
    private int channelCount;
    private boolean[] channelTaken;
    private boolean sessionReady;

    /** The channel count the main channel's handshake announced. */
    synchronized int channelCount() {
        return channelCount;
    }

    /** SETUP is done: data channels of the session may now be admitted. */
    synchronized void sessionReady() {
        sessionReady = true;
    }

    /** Admits a client that proved the secret: one main channel, then data channels of its session. */
    synchronized int admit(final Handshake.Hello hello) {
        if (hello.kind() == HandshakeFlyweight.KIND_MAIN) {
            if (mainTaken) {
                return HandshakeFlyweight.ACCEPT_BUSY;
            }
            if (hello.channelCount() < 1 || hello.channelCount() > Protocol.MAX_CHANNELS) {
                return HandshakeFlyweight.ACCEPT_CHANNEL_COUNT_OUT_OF_RANGE;
            }
            mainTaken = true;
            sessionId = hello.sessionId();
            channelCount = hello.channelCount();
            channelTaken = new boolean[channelCount];
            return HandshakeFlyweight.ACCEPT_OK;
        }
        if (hello.kind() != HandshakeFlyweight.KIND_DATA) {
            return HandshakeFlyweight.ACCEPT_BAD_KIND;
        }
        if (null == sessionId || !sessionReady) {
            return HandshakeFlyweight.ACCEPT_NO_SESSION;
        }
        if (!Arrays.equals(sessionId, hello.sessionId()) || hello.channelCount() != channelCount) {
            return HandshakeFlyweight.ACCEPT_SESSION_MISMATCH;
        }
        if (hello.channelIndex() >= channelCount) {
            return HandshakeFlyweight.ACCEPT_CHANNEL_OUT_OF_RANGE;
        }
        if (channelTaken[hello.channelIndex()]) {
            return HandshakeFlyweight.ACCEPT_DUPLICATE_CHANNEL;
        }
        channelTaken[hello.channelIndex()] = true;
        return HandshakeFlyweight.ACCEPT_OK;
    }
}
