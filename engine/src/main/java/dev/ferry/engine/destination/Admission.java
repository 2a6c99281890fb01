package dev.ferry.engine.destination;

import dev.ferry.engine.channel.Connection;
import dev.ferry.engine.channel.Handshake;
import dev.ferry.engine.channel.TlsEngines;
import dev.ferry.engine.channel.Watchdog;
import dev.ferry.engine.protocol.HandshakeFlyweight;
import org.agrona.concurrent.status.AtomicCounter;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.channels.SocketChannel;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The destination's door: the acceptor thread, a bounded number of handshakes in flight (each on a thread of its
 * own, under two deadlines counted from when its slot was taken: the first bytes within {@code firstBytesTimeoutMs},
 * the whole handshake within {@code handshakeTimeoutMs}), and the admission rules: a main channel per session (up to
 * {@code maxSessions} at once), then the data channels of its session, each index once. Only connections that have
 * not authenticated compete for the {@link HandshakeSlots}: a connection leaves them the moment it proves the secret
 * (or, with TLS, its certificate), and a newcomer displaces only a connection that has overstayed its turn, else is
 * parked (accepted, no thread) until one has; so no one who lacks the secret can displace the real source, from its
 * own address or any other. Parked connections are promoted as slots free (by the thread that frees one) or
 * protections end (a check every {@value #PROMOTE_CHECK_MS} ms on the watchdog while any is parked). An admitted
 * connection is handed to the {@link DoorHost} on its handshake thread, which it then serves. Every refused
 * connection is counted and logged ({@link RefusalLog}). {@link #close} stops the acceptor and every handshake
 * and waits for their threads; refusals are counted under a lock close shuts (the counter's file is unmapped after).
 */
final class Admission implements SessionDoor {
    /**
     * A client's turn (its HELLO after the connect, its PROOF after the CHALLENGE) is protected for this share of the
     * first-bytes deadline: 250 ms of the default 2 s, a round trip and an HMAC many times over.
     */
    private static final int TURN_SHARE = 8;
    /** With TLS the whole TLS handshake is the client's first turn (flights, certificate checks): half the deadline. */
    private static final int TLS_TURN_SHARE = 2;
    /** Connections parked for a slot, a descriptor each and no thread. */
    private static final int MAX_PARKED = 512;
    /** An authenticated data channel whose session's SETUP is still being made waits this long for it. */
    private static final long READY_WAIT_MS = 2_000;
    /** While any connection is parked, whether a protection has ended is checked this often. */
    private static final long PROMOTE_CHECK_MS = 10;

    private final DestinationConfig config;
    private final Watchdog watchdog;
    private final DoorHost host;
    private final AtomicCounter rejected;
    private final HandshakeSlots<Connection> slots;
    private final RefusalLog refusals;
    private final Map<Connection, String[]> cuts = new ConcurrentHashMap<>();
    private final Set<Connection> connections = ConcurrentHashMap.newKeySet();
    private final ListeningSocket server;
    private final SessionRules rules;
    private final DoorThreads threads = new DoorThreads();
    private final AtomicBoolean promotionScheduled = new AtomicBoolean();
    /** Guards {@link #counting}: refusals are counted only while it is set, and close() clears it. */
    private final Object countLock = new Object();
    private boolean counting = true;
    private volatile boolean closed;

    /** A door whose {@code rules} say how many sessions it takes (one ever, or several at once). */
    Admission(final DestinationConfig config, final Watchdog watchdog, final DoorHost host, final AtomicCounter rejected,
        final SessionRules rules) throws IOException {
        this.rules = rules;
        this.config = config;
        this.watchdog = watchdog;
        this.host = host;
        this.rejected = rejected;
        final long firstBytesMs = Math.min(config.firstBytesTimeoutMs(), config.handshakeTimeoutMs());
        this.slots = new HandshakeSlots<>(config.maxPendingHandshakes(), MAX_PARKED, TimeUnit.MILLISECONDS.toNanos(
            firstBytesMs / (null == config.tls() ? TURN_SHARE : TLS_TURN_SHARE)), Connection::hasUnreadInput);
        this.refusals = new RefusalLog(config.warnings());
        this.server = new ListeningSocket(config.listen());
        final Thread acceptor = config.threadFactory().newThread(this::acceptLoop);
        acceptor.setName("ferry-acceptor");
        threads.add(acceptor);
        acceptor.start();
    }

    SocketAddress localAddress() {
        return server.localAddress();
    }

    /** Every connection accepted and not yet closed. */
    public Set<Connection> connections() {
        return connections;
    }

    long rejected() {
        return rejected.get();
    }

    /** The channel count the main channel's handshake announced. */
    @Override
    public int channelCount() {
        return rules.channelCount();
    }

    /** SETUP is done: data channels of the session may now be admitted. */
    @Override
    public void sessionReady() {
        rules.sessionReady();
    }

    /** No new migration from now on: a main channel is answered BUSY, "draining"; those running go on. */
    void drain() {
        rules.drain();
    }

    /** The door of session {@code sessionId} alone, for a destination serving many ({@link SessionView}). */
    SessionDoor session(final byte[] sessionId) {
        return new SessionView(rules, sessionId, connections);
    }

    /**
     * Stops accepting, refuses every handshake still running and every parked connection, closes every connection,
     * and waits (up to {@code waitMs} in all) for the acceptor and the handshake threads to end: true if they have.
     * Threads already handed to the host are the host's to join. No refusal is counted once this returns. Idempotent.
     */
    @Override
    public boolean close(final long waitMs) {
        closed = true;
        rules.drain(); // a handshake still running is answered "closing"
        threads.close();
        for (final HandshakeSlots.Slot<Connection> parked : slots.close()) {
            dismiss(parked.holder, "closed", "the destination closed");
        }
        server.close();
        for (final Connection connection : connections) {
            connection.close();
        }
        final boolean stopped = threads.await(waitMs);
        synchronized (countLock) {
            counting = false;
        }
        return stopped;
    }

    /** Waits up to {@code waitMs} for the acceptor and every handshake thread to end; true if they have. */
    boolean awaitStopped(final long waitMs) {
        return threads.await(waitMs);
    }

    private void acceptLoop() {
        while (server.isOpen()) {
            final SocketChannel socket;
            try {
                socket = server.accept();
            } catch (final IOException ex) {
                return;
            }
            onAccepted(socket);
        }
    }

    /** Places an accepted connection in a slot (with a thread of its own), or parks it until one is its turn. */
    private void onAccepted(final SocketChannel socket) {
        final Connection connection;
        final SocketAddress remote;
        try {
            remote = socket.getRemoteAddress();
            connection = new Connection(socket, "connection from " + server.peerName(remote));
        } catch (final IOException ex) {
            try {
                socket.close();
            } catch (final IOException ignore) {
                // closing is best effort.
            }
            return;
        }
        // Unix-domain peers have no address: they all count as one (local) peer.
        final Object peer = remote instanceof InetSocketAddress inet ? inet.getAddress() : "local";
        // Registered before it can be placed or parked, so that close() closes it wherever it is.
        connections.add(connection);
        promote();
        carryOut(slots.arrive(new HandshakeSlots.Slot<>(connection, peer), System.nanoTime()));
        if (slots.parked() > 0) {
            schedulePromotion();
        }
    }

    /** Places what parked connections may now start their handshakes. */
    private void promote() {
        for (final HandshakeSlots.Placement<Connection> placement : slots.promote(System.nanoTime())) {
            carryOut(placement);
        }
    }

    /** Checks again in {@value #PROMOTE_CHECK_MS} ms (and so on while any is parked) whether a protection ended. */
    private void schedulePromotion() {
        if (promotionScheduled.compareAndSet(false, true)) {
            try {
                watchdog.after(PROMOTE_CHECK_MS, () -> {
                    promotionScheduled.set(false);
                    promote();
                    if (slots.parked() > 0) {
                        schedulePromotion();
                    }
                });
            } catch (final RejectedExecutionException ex) {
                // the destination is closing: close() refuses whatever is parked.
                promotionScheduled.set(false);
            }
        }
    }

    /** Cuts what a placement cuts, and starts the handshake of the connection it placed. */
    private void carryOut(final HandshakeSlots.Placement<Connection> placement) {
        final HandshakeSlots.Slot<Connection> cut = placement.cut();
        if (null != cut) {
            final String slotsFull = "handshake slots full (" + config.maxPendingHandshakes() + ", at most " +
                slots.perAddressCap() + " per address): ";
            switch (placement.why()) {
                case DISPLACED -> cut(cut.holder, "displaced", slotsFull + "dropped, as the one longest into its turn (" +
                    TimeUnit.NANOSECONDS.toMillis(placement.placed().placedNs - cut.turnStartNs) + " ms), for a newer" +
                    " connection");
                case IDLE -> dismiss(cut.holder, "idle", "sent nothing within " + TimeUnit.NANOSECONDS.toMillis(
                    slots.turnNs()) + " ms while waiting for a handshake slot");
                case LOT_FULL -> dismiss(cut.holder, "waiting", slotsFull + "and " + MAX_PARKED + " connections waiting" +
                    " for one: dropped, as silent or the newest of the address with the most waiting");
                default -> dismiss(cut.holder, "closed", "the destination closed");
            }
        }
        final HandshakeSlots.Slot<Connection> placed = placement.placed();
        if (null != placed) {
            final Thread thread = config.threadFactory().newThread(() -> serve(placed.holder, placed));
            thread.setName("ferry-handshake");
            if (threads.add(thread)) {
                thread.start();
            } else {
                slots.release(placed);
                dismiss(placed.holder, "closed", "the destination closed");
            }
        }
    }

    /** Refuses a connection that has no handshake thread: counted, closed, logged. */
    private void dismiss(final Connection connection, final String cause, final String reason) {
        cuts.putIfAbsent(connection, new String[] {cause, reason});
        refuse(connection, null);
    }

    /** Cuts {@code connection} off for {@code reason}, which its handshake thread then reports. */
    private void cut(final Connection connection, final String cause, final String reason) {
        cuts.putIfAbsent(connection, new String[] {cause, reason});
        connection.close();
    }

    /** Authenticates a connection, then serves it as the main channel or a data channel on this thread. */
    private void serve(final Connection connection, final HandshakeSlots.Slot<Connection> slot) {
        final Handshake.Hello hello;
        try {
            hello = handshake(connection, slot);
        } catch (final IOException | RuntimeException ex) {
            rules.settle(false);
            refuse(connection, ex);
            return;
        } finally {
            if (slots.release(slot)) {
                promote();
            }
        }
        threads.handOver();
        rules.settle(true);
        rules.attach(hello.sessionId(), connection);
        if (hello.kind() == HandshakeFlyweight.KIND_MAIN) {
            Thread.currentThread().setName("ferry-main-reader");
            host.serveMain(connection, hello.sessionId());
        } else {
            Thread.currentThread().setName("ferry-receiver-" + hello.channelIndex());
            host.serveData(connection, hello.sessionId(), hello.channelIndex());
        }
    }

    /**
     * TLS when configured, then Ferry's handshake, under the deadlines; the slot is given back as soon as the peer has
     * proved who it is (the TLS handshake, or the secret's proof), so that nothing can displace it from then on.
     */
    private Handshake.Hello handshake(final Connection connection, final HandshakeSlots.Slot<Connection> slot)
        throws IOException {
        final long handshakeMs = config.handshakeTimeoutMs();
        final long firstBytesMs = Math.min(config.firstBytesTimeoutMs(), handshakeMs);
        // The deadlines count from when the slot was taken: a trickle of bytes does not move them.
        final long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - slot.placedNs);
        final ScheduledFuture<?> deadline = watchdog.after(Math.max(0, handshakeMs - elapsedMs), () -> cut(connection,
            "handshake-timeout", "no complete handshake within " + handshakeMs + " ms"));
        final ScheduledFuture<?> firstBytes;
        try {
            firstBytes = watchdog.after(Math.max(0, firstBytesMs - elapsedMs), () -> cut(connection,
                "first-bytes-timeout", "sent no HELLO within " + firstBytesMs + " ms"));
        } catch (final RejectedExecutionException ex) {
            deadline.cancel(false); // the destination is closing
            throw ex;
        }
        try {
            if (null != config.tls()) {
                connection.secure(TlsEngines.server(config.tls()));
                if (slots.release(slot)) {
                    promote();
                }
            }
            return Handshake.server(connection, config.secret(), hello -> authenticated(slot) ?
                rules.admitWhenReady(hello, READY_WAIT_MS) : HandshakeFlyweight.answer(HandshakeFlyweight.ACCEPT_BUSY),
                new Handshake.Turns() {
                    @Override
                    public void helloRead() {
                        firstBytes.cancel(false);
                        slot.serverTurn();
                    }

                    @Override
                    public void challengeSent() {
                        slot.clientTurn(System.nanoTime());
                    }
                });
        } finally {
            deadline.cancel(false);
            firstBytes.cancel(false);
        }
    }

    /**
     * The peer has proved the secret: its slot is given back, so nothing can displace it now. False if it had been
     * displaced (or its TLS identity already released it) and the connection cut meanwhile: it is not admitted then,
     * so that a dead connection takes no channel.
     */
    private boolean authenticated(final HandshakeSlots.Slot<Connection> slot) {
        if (slots.release(slot)) {
            promote();
            return true;
        }
        return null != config.tls() && slot.holder.isOpen();
    }

    /** Counts, closes and logs (rate-limited, per cause) a connection whose handshake failed (or never began). */
    private void refuse(final Connection connection, final Exception ex) {
        count();
        connections.remove(connection);
        connection.close();
        final String[] cut = cuts.remove(connection);
        if (closed) {
            return;
        }
        final String[] why = null != cut ? cut : RefusalLog.describe(ex);
        refusals.refused(why[0], "refused " + connection + ": " + why[1], System.nanoTime());
    }

    /** Counts a refusal, unless close() has returned (the counters file may be unmapped by then). */
    private void count() {
        synchronized (countLock) {
            if (counting) {
                rejected.increment();
            }
        }
    }
}
