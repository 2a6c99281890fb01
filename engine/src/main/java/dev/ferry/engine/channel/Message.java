package dev.ferry.engine.channel;

import dev.ferry.engine.protocol.MessageFlyweight;
import dev.ferry.engine.protocol.StatusFlyweight;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * One main-channel message, its body copied so that the reading thread can hand it to the thread that acts on it.
 * Messages are few (a handful per round), so the copy costs nothing on the hot path.
 *
 * @param type   a {@link MessageFlyweight} type.
 * @param body   the body's bytes.
 * @param length the body's length.
 */
public record Message(int type, UnsafeBuffer body, int length) {
    /** The body read as a STATUS (SETUP-ACK, RESULT, ERROR, CANCEL). */
    public StatusFlyweight status() {
        return new StatusFlyweight().wrap(body, 0, length);
    }

    public String typeName() {
        return MessageFlyweight.typeName(type);
    }
}
