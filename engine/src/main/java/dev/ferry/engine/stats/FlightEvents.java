package dev.ferry.engine.stats;

import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.Percentage;
import jdk.jfr.StackTrace;

/**
 * Ferry's JDK Flight Recorder events, so that a {@code -XX:StartFlightRecording} run shows rounds, barrier waits and
 * the downtime next to GC pauses. Names start with {@code dev.ferry.}; {@code jfr print --events
 * dev.ferry.Round,dev.ferry.Switchover recording.jfr} prints them (docs/operations.md). An event costs nothing when
 * no recording is on: each is committed only if {@code shouldCommit()}, and never per page or per packet.
 */
public final class FlightEvents {
    private FlightEvents() {
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

        /** A verification of {@code side} starting now. */
        public static Verification start(final String side) {
            final Verification event = new Verification();
            event.begin();
            event.side = side;
            return event;
        }

        /** The verification ended: digests matched or not. */
        public void end(final boolean matched) {
            verified = matched;
            commit();
        }
    }

    /** Commits a channel failure of {@code side}, if a recording wants it. */
    public static void channelFailure(final String side, final int channel, final Object cause) {
        final ChannelFailure event = new ChannelFailure();
        if (event.shouldCommit()) {
            event.side = side;
            event.channel = channel;
            event.cause = String.valueOf(cause);
            event.commit();
        }
    }
}
