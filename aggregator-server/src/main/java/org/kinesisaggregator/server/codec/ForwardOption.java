package org.kinesisaggregator.server.codec;

/**
 * The parts of a message's {@code option} map the server uses.
 *
 * @param ackValue the {@code chunk} value exactly as it was encoded on the wire (msgpack bytes, or
 *     JSON text on a JSON connection), echoed in {@code {"ack": ...}}; null when no ack is wanted
 * @param dedupKey the chunk id bytes (the str/bin payload) that the buffer's dedup key is made of
 *     (with the tag and the entries); null without a chunk, and for an empty id or one that is not
 *     a str/bin (nil, a number): those are acked but never taken for a re-send
 * @param sizeHint the {@code size} option, or -1; a hint only, never trusted
 * @param compressed the {@code compressed} option, or null
 */
public record ForwardOption(byte[] ackValue, byte[] dedupKey, long sizeHint, String compressed) {

    /** No option, or one without {@code chunk}. */
    public static final ForwardOption NONE = new ForwardOption(null, null, -1, null);

    /** The forwarder asked for an ack. */
    public boolean wantsAck() {
        return ackValue != null;
    }
}
