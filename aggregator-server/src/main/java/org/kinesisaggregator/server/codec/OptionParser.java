package org.kinesisaggregator.server.codec;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;

/**
 * Reads a forward message's last element, its {@code option} (a map, or nil), into a
 * {@link ForwardOption}: {@code chunk} (echoed as it was encoded; only a non-empty str/bin id
 * gives a dedup key), {@code size} (an int, else -1) and {@code compressed} (a str, else
 * {@code <type>}). Other keys, and pairs whose key is not a str, are skipped, as {@code in_forward}
 * does. Checking {@code compressed} against the entries is the decoder's business.
 *
 * <p>Keeps nothing between calls: an incomplete option is read again from its start when more
 * bytes arrived. At most {@link ForwardDecoderConfig#MAX_OPTION_BYTES} are read. The skipper it is
 * given is scratch space shared with its decoder. Not thread-safe; confined to the decoder's event
 * loop.
 */
final class OptionParser {

    /** A whole option, and the bytes it took on the wire. */
    record Parsed(ForwardOption option, int length) {}

    private final MsgpackSkipper skipper;

    OptionParser(MsgpackSkipper scratch) {
        this.skipper = scratch;
    }

    /**
     * The option at {@code index}, or null if it has not all arrived (nothing is consumed).
     *
     * @throws ForwardProtocolException if it is neither a map nor nil, is larger than allowed, or
     *     is malformed
     */
    Parsed parse(ByteBuf in, int index) {
        if (in.writerIndex() <= index) {
            return null;
        }
        int b = in.getUnsignedByte(index);
        if (b == Msgpack.NIL) {
            return new Parsed(ForwardOption.NONE, 1);
        }
        if (!Msgpack.isMap(b)) {
            throw ForwardProtocolException.malformed("option", Msgpack.typeName(b), "map");
        }
        int end = findValueEnd(in, index, ForwardDecoderConfig.MAX_OPTION_BYTES, "option");
        if (end < 0) {
            return null;
        }
        return new Parsed(parseMap(in, index, end), end - index);
    }

    /** End of the one value at {@code index} if it is all there, -1 if not yet; at most {@code max} bytes. */
    private int findValueEnd(ByteBuf in, int index, int max, String field) {
        int readable = in.writerIndex() - index;
        skipper.begin(1);
        int limit = index + Math.min(readable, max);
        int end = skipper.skip(in, index, limit, (long) index + max, 1);
        if (skipper.isDone()) {
            return end;
        }
        if (skipper.isOverflow() || readable >= max) {
            throw ForwardProtocolException.limit(field, "more than " + max + " bytes", "<= " + max + " bytes");
        }
        return -1;
    }

    private ForwardOption parseMap(ByteBuf in, int start, int end) {
        int b = in.getUnsignedByte(start);
        long pairs = Msgpack.mapCount(in, start, b);
        int index = start + Msgpack.headerLength(b);
        byte[] ackValue = null;
        byte[] dedupKey = null;
        long size = -1;
        String compressed = null;
        for (long i = 0; i < pairs; i++) {
            int keyStart = index;
            index = valueEnd(in, index, end);
            int valueStart = index;
            index = valueEnd(in, index, end);
            int kb = in.getUnsignedByte(keyStart);
            if (!Msgpack.isStr(kb)) {
                continue;
            }
            int keyHeader = Msgpack.headerLength(kb);
            String key = in.toString(keyStart + keyHeader, valueStart - keyStart - keyHeader, StandardCharsets.UTF_8);
            int vb = in.getUnsignedByte(valueStart);
            switch (key) {
                case "chunk" -> {
                    ackValue = new byte[index - valueStart];
                    in.getBytes(valueStart, ackValue);
                    // only a non-empty str/bin id dedups: "", nil or a number is acked but always stored
                    int vh = Msgpack.headerLength(vb);
                    dedupKey = null;
                    if ((Msgpack.isStr(vb) || Msgpack.isBin(vb)) && index - valueStart - vh > 0) {
                        dedupKey = new byte[index - valueStart - vh];
                        in.getBytes(valueStart + vh, dedupKey);
                    }
                }
                case "size" -> size = Msgpack.isInt(vb) ? Msgpack.readLong(in, valueStart, vb) : -1;
                case "compressed" ->
                    compressed = Msgpack.isStr(vb)
                            ? in.toString(
                                    valueStart + Msgpack.headerLength(vb),
                                    index - valueStart - Msgpack.headerLength(vb),
                                    StandardCharsets.UTF_8)
                            : "<" + Msgpack.typeName(vb) + ">";
                default -> {
                    // other options (fluent_signal, eventEntryDataSize...) are ignored, as in_forward does
                }
            }
        }
        return ackValue == null && size < 0 && compressed == null
                ? ForwardOption.NONE
                : new ForwardOption(ackValue, dedupKey, size, compressed);
    }

    private int valueEnd(ByteBuf in, int index, int end) {
        skipper.begin(1);
        int reached = skipper.skip(in, index, end, end, 1);
        if (!skipper.isDone()) {
            throw ForwardProtocolException.malformed("option", "a truncated map", "a complete map");
        }
        return reached;
    }
}
