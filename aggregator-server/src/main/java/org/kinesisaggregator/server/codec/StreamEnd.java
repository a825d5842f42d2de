package org.kinesisaggregator.server.codec;

/**
 * The streamed message ended well: commit it, then ack.
 *
 * @param eventCount events in all its pieces
 * @param wireBytes bytes the message took on the wire
 * @param skippedEvents invalid entries dropped under {@code skip_invalid_event}
 * @param firstSkipReason why the first was invalid, or null
 */
public record StreamEnd(
        String tag,
        ForwardMode mode,
        ForwardOption option,
        long eventCount,
        long wireBytes,
        int skippedEvents,
        String firstSkipReason) {}
