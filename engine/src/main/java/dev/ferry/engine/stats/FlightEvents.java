package dev.ferry.engine.stats;

import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.FlightRecorder;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.Percentage;
import jdk.jfr.StackTrace;

/**
 * Ferry's JDK Flight Recorder events, so that a {@code -XX:StartFlightRecording} run shows rounds, barrier waits and
 * the downtime next to GC pauses. Names start with {@code dev.ferry.}; {@code jfr print --events
 * dev.ferry.Round,dev.ferry.Switchover recording.jfr} prints them (docs/operations.md).
 * <p>
 * Nothing here loads an event class until JFR is initialized ({@link #on}: a recording was started, at launch or
 * later by {@code jcmd}): the first {@link Event} subclass a JVM loads initializes JFR's metadata, about 100 classes
 * and 0.1 to 0.4 s of a cold CLI's start on this machine, which every migration paid in its set-up while no one was
 * recording. So events are made only through the factories below, which answer null when JFR is off, and never per
 * page or per packet; a made event is committed only if {@code shouldCommit()}.
 */
public final class FlightEvents {
    private FlightEvents() {
    }

    /** Whether JFR is initialized, so that a recording may want events: a static flag, no class loaded. */
    public static boolean on() {
        return FlightRecorder.isInitialized();
    }

    /**
     * When JFR is on, loads the event classes now, so that the first use of one (milliseconds) does not fall inside
     * a downtime; nothing when it is off.
     */
    public static void loadClassesIfOn() {
        if (on()) {
            new Switchover();
            new BarrierWait();
            new Round();
            new Verification();
        }
    }

    /** A barrier wait beginning now, or null when JFR is off; {@link BarrierWait#end} commits it. */
    public static BarrierWait barrierWait() {
        if (!on()) {
            return null;
        }
        final BarrierWait event = new BarrierWait();
        event.begin();
        return event;
    }

    /** A verification of {@code side} beginning now, or null when JFR is off; {@link Verification#end} commits it. */
    public static Verification verification(final String side) {
        if (!on()) {
            return null;
        }
        final Verification event = new Verification();
        event.begin();
        event.side = side;
        return event;
    }

    /** The switchover beginning now (the guest paused), or null when JFR is off; committed at APPLIED. */
    public static Switchover switchover(final String reason, final int round, final long expectedDowntimeMs) {
        if (!on()) {
            return null;
        }
        final Switchover event = new Switchover();
        event.begin();
        event.reason = reason;
        event.round = round;
        event.expectedDowntimeMs = expectedDowntimeMs;
        return event;
    }

    /** Commits an ended round, if a recording wants it. */
    public static void round(final int round, final long bytesSent, final long dirtyPages, final long expectedMs,
        final double throttle) {
        if (!on()) {
            return;
        }
        final Round event = new Round();
        if (event.shouldCommit()) {
            event.round = round;
            event.bytesSent = bytesSent;
            event.dirtyPages = dirtyPages;
            event.expectedDowntimeMs = expectedMs;
            event.throttle = throttle;
            event.commit();
        }
    }

    /** Commits a change of the throttle, if a recording wants it. */
    public static void throttle(final double from, final double to, final int round) {
        if (!on()) {
            return;
        }
        final Throttle event = new Throttle();
        if (event.shouldCommit()) {
            event.from = from;
            event.to = to;
            event.round = round;
            event.commit();
        }
    }

    /** One precopy round, harvest to FLUSH (source). */
    @Name("dev.ferry.Round")
    @Label("Ferry Round")
    @Category({"Ferry", "Migration"})
    @StackTrace(false)
    public static final class Round extends Event {
        @Label("Round")
        public int round;
        @Label("Bytes Sent")
        @DataAmount
        public long bytesSent;
        @Label("Dirty Pages")
        @Description("Pages harvested from the dirty bitmap at the round's start")
        public long dirtyPages;
        @Label("Expected Downtime (ms)")
        public long expectedDowntimeMs;
        @Label("Throttle")
        @Percentage
        public double throttle;
    }

    /** A wait at the SYNC barrier of a round, on either side. */
    @Name("dev.ferry.BarrierWait")
    @Label("Ferry Barrier Wait")
    @Category({"Ferry", "Migration"})
    @StackTrace(false)
    public static final class BarrierWait extends Event {
        @Label("Side")
        public String side;
        @Label("Round")
        public int round;

        /** The wait of {@code side} at round {@code round}'s barrier is over. */
        public void end(final String waiter, final long barrierRound) {
            side = waiter;
            round = (int)barrierRound;
            commit();
        }
    }

    /** The switchover: the guest paused until APPLIED arrived (the downtime), source. */
    @Name("dev.ferry.Switchover")
    @Label("Ferry Switchover")
    @Category({"Ferry", "Migration"})
    @StackTrace(false)
    public static final class Switchover extends Event {
        @Label("Reason")
        public String reason;
        @Label("Final Round")
        public int round;
        @Label("Expected Downtime (ms)")
        public long expectedDowntimeMs;
    }

    /** Auto-converge changed the throttle. */
    @Name("dev.ferry.Throttle")
    @Label("Ferry Throttle Change")
    @Category({"Ferry", "Migration"})
    @StackTrace(false)
    public static final class Throttle extends Event {
        @Label("From")
        @Percentage
        public double from;
        @Label("To")
        @Percentage
        public double to;
        @Label("Round")
        public int round;
    }

    /** A data channel failed. */
    @Name("dev.ferry.ChannelFailure")
    @Label("Ferry Channel Failure")
    @Category({"Ferry", "Migration"})
    @StackTrace(false)
    public static final class ChannelFailure extends Event {
        @Label("Side")
        public String side;
        @Label("Channel")
        public int channel;
        @Label("Cause")
        public String cause;
    }

    /** The verification: digesting and comparing both sides' memory. */
    @Name("dev.ferry.Verification")
    @Label("Ferry Verification")
    @Category({"Ferry", "Migration"})
    @StackTrace(false)
    public static final class Verification extends Event {
        @Label("Side")
        public String side;
        @Label("Verified")
        public boolean verified;

        /** The verification ended: digests matched or not. */
        public void end(final boolean matched) {
            verified = matched;
            commit();
        }
    }

    /**
     * The source's set-up, phase by phase, from its conductor's start to its senders running, microseconds each:
     * where a migration's set-up time goes. {@code marks} are {@code System.nanoTime()} at the conductor's start, the
     * main channel connected, its handshake done, SETUP sent, SETUP-ACK in, the data channels authenticated, and
     * the senders started; {@code queuedNs} is how long the conductor's thread took to start.
     */
    public static void setUp(final long queuedNs, final long[] marks) {
        if (!on()) {
            return;
        }
        final SetUp event = new SetUp();
        if (event.shouldCommit()) {
            event.threadStartMicros = queuedNs / 1000;
            event.connectMicros = (marks[1] - marks[0]) / 1000;
            event.handshakeMicros = (marks[2] - marks[1]) / 1000;
            event.setupSendMicros = (marks[3] - marks[2]) / 1000;
            event.setupAckMicros = (marks[4] - marks[3]) / 1000;
            event.dataChannelsMicros = (marks[5] - marks[4]) / 1000;
            event.sendersMicros = (marks[6] - marks[5]) / 1000;
            event.commit();
        }
    }

    /** The source's set-up by phase (microseconds); see {@link #setUp}. */
    @Name("dev.ferry.SetUp")
    @Label("Ferry Set-up")
    @Category({"Ferry", "Migration"})
    @StackTrace(false)
    public static final class SetUp extends Event {
        @Label("Conductor Thread Start (us)")
        public long threadStartMicros;
        @Label("Main Channel Connect (us)")
        public long connectMicros;
        @Label("Main Channel Handshake (us)")
        public long handshakeMicros;
        @Label("SETUP Sent (us)")
        public long setupSendMicros;
        @Label("SETUP-ACK Wait (us)")
        public long setupAckMicros;
        @Label("Data Channels (us)")
        public long dataChannelsMicros;
        @Label("Senders Started (us)")
        public long sendersMicros;
    }

    /** Commits a channel failure of {@code side}, if a recording wants it. */
    public static void channelFailure(final String side, final int channel, final Object cause) {
        if (!on()) {
            return;
        }
        final ChannelFailure event = new ChannelFailure();
        if (event.shouldCommit()) {
            event.side = side;
            event.channel = channel;
            event.cause = String.valueOf(cause);
            event.commit();
        }
    }
}
