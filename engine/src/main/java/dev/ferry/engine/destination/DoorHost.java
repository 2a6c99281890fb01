package dev.ferry.engine.destination;

import dev.ferry.engine.channel.Connection;

/** What the {@link Admission} hands an admitted connection to, on the connection's handshake thread. */
interface DoorHost {
    /** The main channel of session {@code sessionId} is authenticated; serve it on this thread. */
    void serveMain(Connection connection, byte[] sessionId);

    /** Data channel {@code index} of session {@code sessionId} is authenticated; serve it on this thread. */
    void serveData(Connection connection, byte[] sessionId, int index);
}
