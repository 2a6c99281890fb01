/**
 * The destination engine. {@code Admission} accepts and authenticates every connection; {@code DestinationConductor}
 * owns the migration (its state machine {@code DestinationState} and inbox {@code DestinationInbox}) and handles the
 * main channel's messages in order: SETUP ({@code SessionSetup}), FLUSH at the barrier, DEVICE-STATE, COMPLETE,
 * VERIFY ({@code VerifyAnswer}). One {@code ChannelReceiver} per data channel validates every header field and reads
 * page payloads straight into the destination mapping; channels stop at SYNC and are released together on FLUSH:
 * the hold that keeps an older copy of a page from landing after a newer one.
 * <p>
 * Depends on memory, error, protocol, channel, stats, api and verify; never on source or the facades.
 */
package dev.ferry.engine.destination;
