package dev.ferry.engine.channel;

import dev.ferry.engine.protocol.StatusFlyweight;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;

/** What the unit tests of both sides build alike: a peer's status message, a connected loopback pair. */
public final class TestMessages {
    private TestMessages() {
    }

    /** A message of {@code type} whose body is a status: {@code code} and {@code text}, as a peer sends it. */
    public static Message status(final int type, final int code, final String text) {
        final UnsafeBuffer body = new UnsafeBuffer(new byte[256]);
        return new Message(type, body, new StatusFlyweight().wrap(body, 0, body.capacity()).encode(code, 0, text));
    }

    /** Two connected loopback sockets: [0] dialled, [1] accepted. */
    public static SocketChannel[] loopbackPair() throws IOException {
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            final SocketChannel dialled = SocketChannel.open(server.getLocalAddress());
            return new SocketChannel[] {dialled, server.accept()};
        }
    }
}
