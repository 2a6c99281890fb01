package dev.ferry.engine.destination;

import dev.ferry.engine.channel.Connection;
import dev.ferry.engine.channel.Handshake;
import dev.ferry.engine.protocol.HandshakeFlyweight;
import dev.ferry.engine.protocol.Protocol;

import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Whom the {@link Admission} admits once a client has proved the secret: a main channel, whose HELLO names a new
 * session and its channel count, while fewer than {@code maxSessions} run (else BUSY); then, once that session's
 * SETUP has made its memory, the data channels of that session, each index once. A session ends (and frees its
 * place) only when its owner says so. Each refusal is an ACCEPT status the client reports.
 */
final class SessionRules {
    /** {@code maxSessions} of the single migration of a {@code MigrationDestination}: one session, ever. */
    static final int ONCE = 0;

    private final int maxSessions;
    private final boolean once;
    private final Map<String, Session> sessions = new HashMap<>();
    /** What each handshake thread's admit() reserved and the door has not yet handed over (or given back). */
    private final Map<Thread, Handshake.Hello> reserved = new HashMap<>();
    private long totalLimit = Long.MAX_VALUE;
    private long opened;
    private boolean draining;
    private Session first;

    /** Up to {@code maxSessions} sessions at once, each freeing its place when it ends; {@link #ONCE}: one, ever. */
    SessionRules(final int maxSessions) {
        this.once = ONCE == maxSessions;
        this.maxSessions = once ? 1 : maxSessions;
    }

    /** One session's rules and the connections admitted to it. */
    static final class Session {
        private final int channelCount;
        private final boolean[] channelTaken;
        private final Set<Connection> connections = ConcurrentHashMap.newKeySet();
        private boolean ready;

        private Session(final int channelCount) {
            this.channelCount = channelCount;
            this.channelTaken = new boolean[channelCount];
        }

        int channelCount() {
            return channelCount;
        }

        /** The connections admitted to this session, main and data, until they close. */
        Set<Connection> connections() {
            return connections;
        }
    }

    /** The channel count the first session's main channel announced (the single-session door's view). */
    synchronized int channelCount() {
        return null == first ? 0 : first.channelCount;
    }

    /** SETUP of the first session is done (the single-session door's view). */
    synchronized void sessionReady() {
        if (null != first) {
            first.ready = true;
            notifyAll(); // data channels waiting for it (admitWhenReady)
        }
    }

    /** The session {@code sessionId} names, or null. */
    synchronized Session session(final byte[] sessionId) {
        return sessions.get(key(sessionId));
    }

    /** SETUP of session {@code sessionId} is done: its data channels may now be admitted. */
    synchronized void sessionReady(final byte[] sessionId) {
        final Session session = sessions.get(key(sessionId));
        if (null != session) {
            session.ready = true;
            notifyAll(); // data channels waiting for it (admitWhenReady)
        }
    }

    /** An admitted {@code connection} of session {@code sessionId}, kept with it until the session ends. */
    synchronized void attach(final byte[] sessionId, final Connection connection) {
        final Session session = sessions.get(key(sessionId));
        if (null != session) {
            session.connections.add(connection);
        }
    }

    /** No new session from now on (BUSY, "draining"); those that run go on, with their data channels. */
    synchronized void drain() {
        draining = true;
    }

    /** At most {@code total} sessions in all (then BUSY), as a receiver of a set number of guests wants. */
    synchronized void limitTotal(final long total) {
        this.totalLimit = total;
    }

    /**
     * The handshake on this thread ended: {@code handedOver}, what admit() reserved is the host's now; else (the
     * ACCEPT could not be written, a deadline cut the connection) the place or channel it reserved is given back,
     * so that no failed handshake keeps a place.
     */
    synchronized void settle(final boolean handedOver) {
        final Handshake.Hello hello = reserved.remove(Thread.currentThread());
        if (null == hello || handedOver || once) {
            return;
        }
        final Session session = sessions.get(key(hello.sessionId()));
        if (hello.kind() == HandshakeFlyweight.KIND_MAIN) {
            sessions.remove(key(hello.sessionId()));
            opened--;
        } else if (null != session) {
            session.channelTaken[hello.channelIndex()] = false;
        }
    }

    /** Session {@code sessionId} has ended: its place is free, its data channels are refused from now on. */
    synchronized void end(final byte[] sessionId) {
        sessions.remove(key(sessionId));
        notifyAll(); // data channels waiting for it are refused now
    }

    /**
     * As {@link #admit}, but a data channel of a session whose SETUP is still being made waits for it, up to
     * {@code waitMs}, instead of being refused at once: a source may dial its data channels while its SETUP is
     * answered, and only a client that proved the secret gets here. A session that ends wakes it (refused then).
     */
    synchronized long admitWhenReady(final Handshake.Hello hello, final long waitMs) {
        final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(waitMs);
        long answer = admit(hello);
        while (HandshakeFlyweight.answerStatus(answer) == HandshakeFlyweight.ACCEPT_NO_SESSION &&
            hello.kind() == HandshakeFlyweight.KIND_DATA && pending(hello.sessionId())) {
            final long leftMs = TimeUnit.NANOSECONDS.toMillis(deadlineNs - System.nanoTime());
            if (leftMs <= 0) {
                break;
            }
            try {
                wait(leftMs);
            } catch (final InterruptedException ex) {
                Thread.currentThread().interrupt(); // the door is closing: answer what stands now
                break;
            }
            answer = admit(hello);
        }
        return answer;
    }

    /** Session {@code sessionId} is open and its SETUP not yet done. */
    private boolean pending(final byte[] sessionId) {
        final Session session = sessions.get(key(sessionId));
        return null != session && !session.ready;
    }

    /** Admits a client that proved the secret: a main channel opens a session, then data channels of a session. */
    synchronized long admit(final Handshake.Hello hello) {
        if (hello.kind() == HandshakeFlyweight.KIND_MAIN) {
            if (draining) {
                return HandshakeFlyweight.busy(HandshakeFlyweight.BUSY_CLOSING, 0);
            }
            if (opened >= totalLimit || once && null != first) {
                return HandshakeFlyweight.busy(HandshakeFlyweight.BUSY_ALL_TAKEN, once ? 1 : totalLimit);
            }
            if (sessions.size() >= maxSessions) {
                return HandshakeFlyweight.busy(HandshakeFlyweight.BUSY_AT_LIMIT, maxSessions);
            }
            if (hello.channelCount() < 1 || hello.channelCount() > Protocol.MAX_CHANNELS) {
                return HandshakeFlyweight.answer(HandshakeFlyweight.ACCEPT_CHANNEL_COUNT_OUT_OF_RANGE);
            }
            final String key = key(hello.sessionId());
            if (sessions.containsKey(key)) {
                return HandshakeFlyweight.answer(HandshakeFlyweight.ACCEPT_SESSION_MISMATCH);
            }
            final Session session = new Session(hello.channelCount());
            sessions.put(key, session);
            opened++;
            if (null == first) {
                first = session;
            }
            reserved.put(Thread.currentThread(), hello);
            return HandshakeFlyweight.answer(HandshakeFlyweight.ACCEPT_OK);
        }
        if (hello.kind() != HandshakeFlyweight.KIND_DATA) {
            return HandshakeFlyweight.answer(HandshakeFlyweight.ACCEPT_BAD_KIND);
        }
        final Session session = sessions.get(key(hello.sessionId()));
        if (null == session) {
            // The single migration's door answers as it always has: no session until it is ready, then a mismatch.
            return HandshakeFlyweight.answer(once && null != first && first.ready ?
                HandshakeFlyweight.ACCEPT_SESSION_MISMATCH : HandshakeFlyweight.ACCEPT_NO_SESSION);
        }
        if (!session.ready) {
            return HandshakeFlyweight.answer(HandshakeFlyweight.ACCEPT_NO_SESSION);
        }
        if (hello.channelCount() != session.channelCount) {
            return HandshakeFlyweight.answer(HandshakeFlyweight.ACCEPT_SESSION_MISMATCH);
        }
        if (hello.channelIndex() >= session.channelCount) {
            return HandshakeFlyweight.answer(HandshakeFlyweight.ACCEPT_CHANNEL_OUT_OF_RANGE);
        }
        if (session.channelTaken[hello.channelIndex()]) {
            return HandshakeFlyweight.answer(HandshakeFlyweight.ACCEPT_DUPLICATE_CHANNEL);
        }
        session.channelTaken[hello.channelIndex()] = true;
        reserved.put(Thread.currentThread(), hello);
        return HandshakeFlyweight.answer(HandshakeFlyweight.ACCEPT_OK);
    }

    private static String key(final byte[] sessionId) {
        return HexFormat.of().formatHex(sessionId);
    }
}
