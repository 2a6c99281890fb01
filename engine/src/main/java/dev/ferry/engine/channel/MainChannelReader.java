package dev.ferry.engine.channel;

import dev.ferry.engine.protocol.ProtocolException;

import java.io.IOException;

/**
 * Reads the main channel on a thread of its own and hands every message, copied, to the engine's conductor, so that
 * the conductor never blocks in a socket read and can always be reached through its inbox. It stops after a
 * message the handler calls final, at the end of the stream, or at the first error.
 */
public final class MainChannelReader implements Runnable {
    /** What the reader reports; called on the reader's thread, so it must only post to the conductor. */
    public interface Handler {
        /** A message arrived; return true if no further message is expected. */
        boolean onMessage(Message message);

        /** The peer closed the channel cleanly between messages. */
        void onEndOfStream();

        /** Reading failed: an I/O error, or a frame that broke the protocol ({@link ProtocolException}). */
        void onError(Exception cause);
    }

    private final MainChannel channel;
    private final Handler handler;

    public MainChannelReader(final MainChannel channel, final Handler handler) {
        this.channel = channel;
        this.handler = handler;
    }

    @Override
    public void run() {
        try {
            while (true) {
                final int type = channel.receive();
                if (type < 0) {
                    handler.onEndOfStream();
                    return;
                }
                if (handler.onMessage(channel.copyOfLast(type))) {
                    return;
                }
            }
        } catch (final IOException | RuntimeException ex) {
            handler.onError(ex);
        }
    }
}
