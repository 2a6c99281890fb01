package dev.ferry.engine.channel;

import java.nio.channels.ScatteringByteChannel;
import java.nio.channels.SocketChannel;

/**
 * Test-only: wraps a destination data channel's socket for reading after its handshake (to delay, fragment or hold
 * back bytes). The wrapper owns nothing; closing it must close the socket.
 */
@FunctionalInterface
public interface ChannelDecorator {
    ScatteringByteChannel decorate(int channelIndex, SocketChannel socket);
}
