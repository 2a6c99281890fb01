package dev.ferry.engine.destination;

import dev.ferry.engine.FerryException;

/**
 * What a receiver (and the liveness check) may ask of the destination's conductor, and nothing more: the way a
 * sender reaches the source's conductor only by posting its failure. {@link DestinationConductor} implements it by
 * posting to its inbox; a unit test implements it to step a {@link ChannelReceiver} alone.
 */
interface ReceiverHost {
    /** The migration ended, or something urgent was posted: stop reading. */
    boolean isFinished();

    /** COMPLETE has arrived: a data channel's end of stream is now the source's orderly close. */
    boolean isCompleteReceived();

    /** Channel {@code channel} read SYNC of {@code round}; waits for the FLUSH; false when the migration ended. */
    boolean arriveAtSync(int channel, long round);

    /** A failure whose cause is known (a bad field, a fault writing guest memory, silence). */
    void fail(FerryException cause);

    /** Data channel {@code channel} ended early or broke; the source's reason may follow. */
    void channelLost(int channel, String reason);
}
