package dev.ferry.engine.destination;

import dev.ferry.engine.channel.Connection;

import java.util.Set;

/**
 * One session's door on an {@link Admission} that serves many: its channel count and readiness, its connections,
 * and an end that closes those and frees its place while the door stays open for the others.
 */
final class SessionView implements SessionDoor {
    private final SessionRules rules;
    private final byte[] sessionId;
    private final SessionRules.Session session;
    private final Set<Connection> doorConnections;

    SessionView(final SessionRules rules, final byte[] sessionId, final Set<Connection> doorConnections) {
        this.rules = rules;
        this.sessionId = sessionId;
        this.session = rules.session(sessionId);
        this.doorConnections = doorConnections;
    }

    @Override
    public int channelCount() {
        return session.channelCount();
    }

    @Override
    public void sessionReady() {
        rules.sessionReady(sessionId);
    }

    @Override
    public Set<Connection> connections() {
        return session.connections();
    }

    @Override
    public boolean close(final long waitMs) {
        rules.end(sessionId);
        for (final Connection connection : session.connections()) {
            doorConnections.remove(connection);
            connection.close();
        }
        return true;
    }
}
