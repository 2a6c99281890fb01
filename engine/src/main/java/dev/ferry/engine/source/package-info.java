/**
 * The source engine. {@code SourceConductor} owns the migration: its state machine ({@code SourceState}) and its
 * inbox ({@code SourceInbox}), to which the main-channel reader, the senders and {@code cancel} post. It runs the
 * rounds through {@code RoundScheduler} (harvest, forward scan, packets to the least-loaded channel's SPSC queue,
 * SYNC/FLUSH) and asks {@code ConvergencePolicy} when to pause. One {@code ChannelSender} per channel, an Agrona agent,
 * detects zero pages and writes each packet with one gathering write straight from the mapped guest memory.
 * <p>
 * Depends on memory, error, protocol, channel, stats, api and verify; never on destination or the facades.
 */
package dev.ferry.engine.source;
