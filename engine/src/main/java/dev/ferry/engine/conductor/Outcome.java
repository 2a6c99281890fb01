package dev.ferry.engine.conductor;

import dev.ferry.engine.ErrorCode;
import dev.ferry.engine.FerryException;
import dev.ferry.engine.protocol.ProtocolException;
import dev.ferry.engine.text.ErrorText;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.NanoClock;

import java.util.concurrent.TimeUnit;

/**
 * A migration's failure as its conductor learns it, on the conductor's thread alone. The first cause wins. A cause
 * this side decided from its own socket or clock (a lost data channel, a broken pipe, a timeout) is often the echo
 * of a failure the peer is explaining on the main channel at that moment, so it is {@link #pend pending}: it
 * becomes the failure only after {@link #PEER_REASON_GRACE_MS}, unless the peer's own reason arrives first. A side
 * stopped (SIGSTOP) and continued finds its timers expired at once while the peer's reason waits in its socket.
 */
public final class Outcome {
    /** How long a cause this side decided waits for the peer's own explanation. */
    public static final long PEER_REASON_GRACE_MS = 500;

    private final NanoClock clock;
    private FerryException failure;
    private FerryException pendingFailure;
    private long pendingDeadlineNs;
    private boolean failureFromPeer;

    /** With {@code clock} for the grace: a test makes time jump, as it does for a stopped process. */
    public Outcome(final NanoClock clock) {
        this.clock = clock;
    }

    /** {@code cause} is the failure, unless one came first. */
    public void record(final FerryException cause) {
        if (null == failure) {
            failure = cause;
        }
    }

    /** The peer failed and said why: it needs no word from us, and its reason wins over anything pending. */
    public void recordFromPeer(final FerryException cause) {
        failureFromPeer = true;
        record(cause);
    }

    /** {@code cause} becomes the failure after the grace, unless the peer's reason (or another cause) comes first. */
    public void pend(final FerryException cause) {
        if (null == pendingFailure) {
            pendingFailure = cause;
            pendingDeadlineNs = clock.nanoTime() + TimeUnit.MILLISECONDS.toNanos(PEER_REASON_GRACE_MS);
        }
    }

    /** A cause waits for its grace and nothing has won yet. */
    public boolean hasPending() {
        return null == failure && null != pendingFailure;
    }

    /** The failure so far, or null: a pending cause counts once its grace is over. */
    public FerryException failure() {
        if (null == failure && null != pendingFailure && clock.nanoTime() - pendingDeadlineNs >= 0) {
            failure = pendingFailure;
        }
        return failure;
    }

    /** Whether the peer knows of the failure already (it reported one, or we told it in our own answer). */
    public boolean failureFromPeer() {
        return failureFromPeer;
    }

    /** We told the peer ourselves (a RESULT mismatch, a refused SETUP): it needs no ERROR on top. */
    public void peerTold() {
        failureFromPeer = true;
    }

    /**
     * Something ended a wait without saying why (the barrier was terminated): reads the inbox with {@code pump}
     * until the failure is known, for at most four graces.
     */
    public FerryException awaitCause(final Runnable pump, final IdleStrategy idle) {
        final long deadlineNs = clock.nanoTime() + TimeUnit.MILLISECONDS.toNanos(4 * PEER_REASON_GRACE_MS);
        idle.reset();
        while (clock.nanoTime() - deadlineNs < 0) {
            pump.run();
            final FerryException cause = failure();
            if (null != cause) {
                return cause;
            }
            idle.idle();
        }
        return new FerryException(ErrorCode.INTERNAL, "the SYNC barrier was terminated without a cause");
    }

    /**
     * What the conductor itself caught, unless a failure is known already: the first cause wins, and a pending one is
     * waited for (reading the inbox with {@code pump}) rather than beaten by what was caught. Events not yet read do
     * not come first: a side that reads its inbox before (the source drains it) decides so itself.
     */
    public void failWith(final Throwable caught, final Runnable pump, final IdleStrategy idle) {
        if (null != failure()) {
            return;
        }
        if (hasPending()) {
            record(awaitCause(pump, idle));
            return;
        }
        record(caught(caught));
    }

    /** {@code caught} as a failure: a FerryException as it is, a protocol error as a violation, the rest in words. */
    public static FerryException caught(final Throwable caught) {
        if (caught instanceof FerryException) {
            return (FerryException)caught;
        }
        if (caught instanceof ProtocolException) {
            return new FerryException(ErrorCode.PROTOCOL_VIOLATION, "main channel: " + caught.getMessage());
        }
        return new FerryException(ErrorCode.INTERNAL, ErrorText.of(caught), caught);
    }
}
