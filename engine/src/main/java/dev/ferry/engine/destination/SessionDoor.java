package dev.ferry.engine.destination;

import dev.ferry.engine.channel.Connection;

import java.util.Set;

/**
 * What a destination conductor needs of the door its session came through: the channel count its main channel
 * announced, the moment its data channels may come in, its connections (the liveness check watches them), and the
 * end. The single migration's {@link Admission} is its own door; a door serving many sessions gives each a view.
 */
interface SessionDoor {
    /** The channel count the session's main channel announced. */
    int channelCount();

    /** SETUP is done: the session's data channels may now be admitted. */
    void sessionReady();

    /** The session's connections until they close. */
    Set<Connection> connections();

    /**
     * The session ends: its connections are closed and its place freed (the single migration's door closes whole,
     * waiting up to {@code waitMs} for its threads); true if what had to stop has.
     */
    boolean close(long waitMs);
}
