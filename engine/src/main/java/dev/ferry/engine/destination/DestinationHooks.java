package dev.ferry.engine.destination;

import dev.ferry.engine.channel.ChannelDecorator;

/**
 * What tests inject into a destination engine, beside its configuration and never part of it: a listener told of
 * every page applied, a decorator of each data channel's input (to delay, fragment or cut it), and the switch that
 * stops channels holding at SYNC (to prove the ordering test can fail). Production runs with {@link #NONE}.
 *
 * @param pageApplyListener told of every normal page applied, or null.
 * @param channelDecorator  wraps each data channel's input, or null.
 * @param holdAtSync        whether channels stop at SYNC until FLUSH: true but in the ordering test's broken variant.
 */
public record DestinationHooks(PageApplyListener pageApplyListener, ChannelDecorator channelDecorator,
    boolean holdAtSync) {
    /** No hooks: what every migration outside the tests runs with. */
    public static final DestinationHooks NONE = new DestinationHooks(null, null, true);

    public DestinationHooks pageApplyListener(final PageApplyListener listener) {
        return new DestinationHooks(listener, channelDecorator, holdAtSync);
    }

    public DestinationHooks channelDecorator(final ChannelDecorator decorator) {
        return new DestinationHooks(pageApplyListener, decorator, holdAtSync);
    }

    public DestinationHooks holdAtSync(final boolean hold) {
        return new DestinationHooks(pageApplyListener, channelDecorator, hold);
    }
}
