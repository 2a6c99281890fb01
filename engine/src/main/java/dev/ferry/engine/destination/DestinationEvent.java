package dev.ferry.engine.destination;

import dev.ferry.engine.FerryException;
import dev.ferry.engine.channel.MainChannel;
import dev.ferry.engine.channel.Message;

/** What other threads report to the destination's conductor through its inbox; nobody else acts on them. */
sealed interface DestinationEvent {
    /** The source's main channel is authenticated. */
    record MainConnected(MainChannel channel) implements DestinationEvent {
    }

    /** A message from the source, read by the main-channel reader. */
    record PeerMessage(Message message) implements DestinationEvent {
    }

    /** The main channel ended or broke; {@code cause} is null at a clean end of stream. */
    record MainLost(Exception cause) implements DestinationEvent {
    }

    /**
     * A data channel ended before COMPLETE or its connection failed; if the source's own reason arrives within the
     * grace, that reason is the failure instead.
     */
    record ChannelLost(int channel, String reason) implements DestinationEvent {
    }

    /** A failure with its cause decided: a receiver's protocol violation, a barrier timeout, silence. */
    record Failed(FerryException cause) implements DestinationEvent {
    }

    /** The embedder or an operator cancelled. */
    record Cancel(String reason) implements DestinationEvent {
    }
}
