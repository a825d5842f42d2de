package org.kinesisaggregator.server.codec;

import io.netty.buffer.ByteBuf;

/**
 * Walks over msgpack values without decoding them, resumably: {@link #begin(long)} a number of
 * values, then call {@link #skip} with whatever bytes are there; it stops before an incomplete
 * header and may stop inside a str/bin/ext payload, and the next call continues where it stopped.
 * It allocates nothing, whatever lengths the input declares.
 *
 * <p>It checks structure only: no never-used byte (0xc1), nesting no deeper than its limit, and no
 * declared length reaching past {@code bound} (the caller's end of entries, or of the largest event
 * it will hold). Not thread-safe; one per connection.
 */
final class MsgpackSkipper {
    private final long[] remaining;
    private int depth;
    private long payloadLeft;
    private boolean overflow;

    MsgpackSkipper(int maxDepth) {
        this.remaining = new long[maxDepth];
    }

    int maxDepth() {
        return remaining.length;
    }

    /** Starts walking over {@code values} consecutive values. */
    void begin(long values) {
        depth = 0;
        payloadLeft = 0;
        overflow = false;
        if (values > 0) {
            remaining[0] = values;
            depth = 1;
        }
    }

    /** All values begun have been walked over. */
    boolean isDone() {
        return depth == 0 && payloadLeft == 0;
    }

    /** The last {@link #skip} stopped because a value declared a length reaching past its bound. */
    boolean isOverflow() {
        return overflow;
    }

    /** Forgets everything (after an error or at a message end). */
    void reset() {
        depth = 0;
        payloadLeft = 0;
        overflow = false;
    }

    /**
     * Walks from {@code index} towards {@code limit} (the end of the readable bytes) and returns the
     * index reached. A value that would end past {@code bound} (an absolute index, may be beyond
     * {@code limit}) stops the walk there with {@link #isOverflow()} set.
     *
     * @param depthUsed nesting levels already open above these values (for the depth limit)
     */
    int skip(ByteBuf buf, int index, int limit, long bound, int depthUsed) {
        overflow = false;
        while (true) {
            if (payloadLeft > 0) {
                int available = limit - index;
                if (available < payloadLeft) {
                    payloadLeft -= available;
                    return limit;
                }
                index += (int) payloadLeft;
                payloadLeft = 0;
                popCompleted();
            }
            if (depth == 0 || index >= limit) {
                return index;
            }
            int b = buf.getUnsignedByte(index);
            if (b <= 0x7f || b >= 0xe0) {
                // fixint: the commonest value inside records
                index++;
                remaining[depth - 1]--;
                popCompleted();
                continue;
            }
            if ((b & 0xe0) == 0xa0) {
                int length = b & 0x1f;
                if (index + 1 + length > bound) {
                    overflow = true;
                    return index;
                }
                index++;
                remaining[depth - 1]--;
                if (length > 0) {
                    payloadLeft = length;
                } else {
                    popCompleted();
                }
                continue;
            }
            int header = Msgpack.headerLength(b);
            if (header < 0) {
                throw ForwardProtocolException.malformed("msgpack", Msgpack.typeName(b), "a valid msgpack format byte");
            }
            if (index + header > limit) {
                if (index + header > bound) {
                    overflow = true;
                }
                return index;
            }
            long count = Msgpack.arrayCount(buf, index, b);
            if (count < 0) {
                count = Msgpack.mapCount(buf, index, b);
                if (count >= 0) {
                    count *= 2;
                }
            }
            if (count >= 0) {
                // every element needs at least one byte
                if (index + header + count > bound) {
                    overflow = true;
                    return index;
                }
                index += header;
                remaining[depth - 1]--;
                if (count > 0) {
                    if (depth + depthUsed >= remaining.length) {
                        throw ForwardProtocolException.limit(
                                "nesting depth", "> " + remaining.length, "<= " + remaining.length);
                    }
                    remaining[depth++] = count;
                } else {
                    popCompleted();
                }
                continue;
            }
            long payload = Msgpack.payloadLength(buf, index, b);
            if (index + header + payload > bound) {
                overflow = true;
                return index;
            }
            index += header;
            remaining[depth - 1]--;
            if (payload > 0) {
                payloadLeft = payload;
            } else {
                popCompleted();
            }
        }
    }

    private void popCompleted() {
        while (depth > 0 && remaining[depth - 1] == 0) {
            depth--;
        }
    }
}
