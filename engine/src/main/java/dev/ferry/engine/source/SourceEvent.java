package dev.ferry.engine.source;

import dev.ferry.engine.FerryException;
import dev.ferry.engine.channel.Message;

/** What other threads report to the source's conductor through its inbox; nobody else acts on them. */
sealed interface SourceEvent {
    /** A message from the destination, read by the main-channel reader. */
    record PeerMessage(Message message) implements SourceEvent {
    }

    /** The main channel ended or broke; {@code cause} is null at a clean end of stream. */
    record MainLost(Exception cause) implements SourceEvent {
    }

    /** A data channel's sender failed. */
    record ChannelFailed(int channel, Throwable cause) implements SourceEvent {
    }

    /** A failure whose cause is decided (the migration's timeout). */
    record Failed(FerryException cause) implements SourceEvent {
    }

    /** The embedder or an operator cancelled. */
    record Cancel(String reason) implements SourceEvent {
    }
}
