package dev.ferry.engine.channel;

import dev.ferry.engine.protocol.MessageFlyweight;
import dev.ferry.engine.protocol.Protocol;
import dev.ferry.engine.protocol.ProtocolException;
import dev.ferry.engine.protocol.StatusFlyweight;
import org.agrona.ExpandableDirectByteBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * The main channel's framed messages over a {@link Connection} (frame layout in {@link MessageFlyweight}).
 * Sending is serialised (the migration thread and a cancelling thread may both send); receiving belongs to one
 * thread. Every received frame is checked: a length above {@link Protocol#MAX_MESSAGE_BODY_LENGTH} or an unknown
 * type is a {@link ProtocolException} before any body byte is read.
 */
public final class MainChannel implements AutoCloseable {
    /** Writes a message body at {@code offset} of {@code buffer} and returns its length. */
    @FunctionalInterface
    public interface BodyEncoder {
        int encode(MutableDirectBuffer buffer, int offset);
    }

    private final Connection connection;
    private final ExpandableDirectByteBuffer sendBuffer = new ExpandableDirectByteBuffer(4096);
    private final MessageFlyweight frame = new MessageFlyweight();
    private final StatusFlyweight status = new StatusFlyweight();
    private final ByteBuffer receiveHeader = ByteBuffer.allocateDirect(MessageFlyweight.FRAME_HEADER_LENGTH);
    private final UnsafeBuffer receiveHeaderBuffer = new UnsafeBuffer(receiveHeader);
    private ExpandableDirectByteBuffer receiveBody = new ExpandableDirectByteBuffer(4096);
    private int receivedLength;

    public MainChannel(final Connection connection) {
        this.connection = connection;
    }

    public Connection connection() {
        return connection;
    }

    /** Sends one message whose body {@code encoder} writes. */
    public synchronized void send(final int type, final BodyEncoder encoder) throws IOException {
        final int length = null == encoder ? 0 : encoder.encode(sendBuffer, MessageFlyweight.FRAME_HEADER_LENGTH);
        frame.wrap(sendBuffer, 0).header(type, length);
        final ByteBuffer bytes = sendBuffer.byteBuffer();
        bytes.limit(MessageFlyweight.FRAME_HEADER_LENGTH + length).position(0);
        connection.writeFully(bytes);
        bytes.clear();
    }

    /** Sends a message with an empty body. */
    public void send(final int type) throws IOException {
        send(type, null);
    }

    /** Sends a STATUS-bodied message (SETUP_ACK, RESULT, ERROR, CANCEL). */
    public void sendStatus(final int type, final int code, final long value, final String text) throws IOException {
        send(type, (buffer, offset) -> status.wrap(buffer, offset, buffer.capacity() - offset).encode(code, value, text));
    }

    /**
     * Tells the peer why the migration ends (CANCEL if {@code cancelled}, else ERROR, with the error code's id),
     * giving up after {@code graceMs}: the peer may be gone or not reading, and the outcome stands either way.
     */
    public void tellFailure(final Watchdog watchdog, final long graceMs, final boolean cancelled, final int code,
        final String reason) {
        final var closer = watchdog.closeAfter(connection, graceMs);
        try {
            sendStatus(cancelled ? MessageFlyweight.CANCEL : MessageFlyweight.ERROR, code, 0, reason);
        } catch (final IOException | RuntimeException ignore) {
            // the peer may be gone already; the outcome stands.
        } finally {
            closer.cancel(false);
        }
    }

    /**
     * Reads the next message; returns its type, or -1 if the peer closed the connection cleanly between messages.
     * The body is then in {@link #body()} for {@link #bodyLength()} bytes, until the next call.
     */
    public int receive() throws IOException {
        receiveHeader.clear();
        if (!connection.readFullyOrEof(receiveHeader)) {
            return -1;
        }
        final int length = MessageFlyweight.checkedBodyLength(receiveHeaderBuffer, 0);
        final int type = MessageFlyweight.type(receiveHeaderBuffer, 0);
        if (receiveBody.capacity() < length) {
            receiveBody = new ExpandableDirectByteBuffer((int)length);
        }
        final ByteBuffer body = receiveBody.byteBuffer();
        body.clear().limit((int)length);
        connection.readFully(body);
        body.clear();
        receivedLength = (int)length;
        return type;
    }

    /** The last message received, copied out of this channel's buffer so another thread may own it. */
    public Message copyOfLast(final int type) {
        final UnsafeBuffer copy = new UnsafeBuffer(new byte[receivedLength]);
        copy.putBytes(0, receiveBody, 0, receivedLength);
        return new Message(type, copy, receivedLength);
    }

    /** The body of the last message received. */
    public MutableDirectBuffer body() {
        return receiveBody;
    }

    public int bodyLength() {
        return receivedLength;
    }

    @Override
    public void close() {
        connection.close();
    }
}
