package org.kinesisaggregator.server.codec;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Adds keys to msgpack records without decoding them: a new map header, the original pairs copied
 * as bytes (minus any pair whose key is one of the added ones: the added value wins, as in Ruby's
 * {@code record[key] = value}), then the added pairs. Used for Fluent Bit's metadata under
 * {@code event_metadata_key} and for {@code source_address_key} / {@code source_hostname_key}.
 *
 * <p>Not thread-safe (one skipper inside); one per connection.
 */
public final class RecordRewriter {

    /** A pair to add: a str key and an already-encoded msgpack value. */
    public record Pair(byte[] key, byte[] encodedValue) {
        public Pair {
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(encodedValue, "encodedValue");
        }

        /** A pair with a str value. */
        public static Pair ofString(String key, String value) {
            byte[] v = value.getBytes(StandardCharsets.UTF_8);
            ByteBuf buf = Unpooled.buffer(v.length + 5);
            Msgpack.writeStrHeader(buf, v.length);
            buf.writeBytes(v);
            byte[] encoded = new byte[buf.readableBytes()];
            buf.readBytes(encoded);
            return new Pair(key.getBytes(StandardCharsets.UTF_8), encoded);
        }
    }

    private final MsgpackSkipper skipper;
    private int[] removed = new int[8];

    public RecordRewriter(int maxDepth) {
        this.skipper = new MsgpackSkipper(maxDepth);
    }

    /**
     * Writes the record at {@code [start, end)} of {@code src} with {@code pairs} added, plus, when
     * {@code extraKey} is not null, the pair {@code extraKey} → the encoded value at
     * {@code [extraStart, extraEnd)} of {@code src}.
     */
    void write(
            ByteBuf src,
            int start,
            int end,
            List<Pair> pairs,
            byte[] extraKey,
            int extraStart,
            int extraEnd,
            ByteBuf out) {
        int b = src.getUnsignedByte(start);
        long count = Msgpack.mapCount(src, start, b);
        int index = start + Msgpack.headerLength(b);
        int removedCount = 0;
        for (long i = 0; i < count; i++) {
            int keyStart = index;
            boolean matches = matchesAny(src, keyStart, pairs, extraKey);
            skipper.begin(2);
            index = skipper.skip(src, index, end, end, 1);
            if (!skipper.isDone()) {
                throw ForwardProtocolException.malformed("record", "a truncated map", "a complete map");
            }
            if (matches) {
                if (removedCount * 2 + 2 > removed.length) {
                    removed = Arrays.copyOf(removed, removed.length * 2);
                }
                removed[removedCount * 2] = keyStart;
                removed[removedCount * 2 + 1] = index;
                removedCount++;
            }
        }
        int added = pairs.size() + (extraKey != null ? 1 : 0);
        Msgpack.writeMapHeader(out, count - removedCount + added);
        int copyFrom = start + Msgpack.headerLength(b);
        for (int r = 0; r < removedCount; r++) {
            out.writeBytes(src, copyFrom, removed[r * 2] - copyFrom);
            copyFrom = removed[r * 2 + 1];
        }
        out.writeBytes(src, copyFrom, end - copyFrom);
        for (Pair pair : pairs) {
            Msgpack.writeStrHeader(out, pair.key().length);
            out.writeBytes(pair.key());
            out.writeBytes(pair.encodedValue());
        }
        if (extraKey != null) {
            Msgpack.writeStrHeader(out, extraKey.length);
            out.writeBytes(extraKey);
            out.writeBytes(src, extraStart, extraEnd - extraStart);
        }
    }

    /**
     * Adds {@code pairs} to every record of {@code entries} (back-to-back {@code [time, record]}
     * arrays, as the decoder emits them) and returns a new buffer; {@code entries} is not released.
     */
    public ByteBuf addToEveryRecord(ByteBufAllocator alloc, ByteBuf entries, int eventCount, List<Pair> pairs) {
        int extra = 0;
        for (Pair pair : pairs) {
            extra += pair.key().length + 5 + pair.encodedValue().length;
        }
        ByteBuf out = alloc.buffer(entries.readableBytes() + eventCount * (extra + 4));
        try {
            int index = entries.readerIndex();
            int end = entries.writerIndex();
            for (int i = 0; i < eventCount; i++) {
                int b = entries.getUnsignedByte(index);
                int header = Msgpack.headerLength(b);
                out.writeBytes(entries, index, header);
                index += header;
                int timeStart = index;
                skipper.begin(1);
                index = skipper.skip(entries, index, end, end, 1);
                out.writeBytes(entries, timeStart, index - timeStart);
                int recordStart = index;
                skipper.begin(1);
                index = skipper.skip(entries, index, end, end, 1);
                if (!skipper.isDone()) {
                    throw ForwardProtocolException.malformed("entries", "a truncated entry", "whole entries");
                }
                write(entries, recordStart, index, pairs, null, 0, 0, out);
            }
            return out;
        } catch (RuntimeException e) {
            out.release();
            throw e;
        }
    }

    private static boolean matchesAny(ByteBuf src, int keyStart, List<Pair> pairs, byte[] extraKey) {
        int b = src.getUnsignedByte(keyStart);
        if (!Msgpack.isStr(b)) {
            return false;
        }
        int header = Msgpack.headerLength(b);
        long length = Msgpack.payloadLength(src, keyStart, b);
        for (Pair pair : pairs) {
            if (equalBytes(src, keyStart + header, length, pair.key())) {
                return true;
            }
        }
        return extraKey != null && equalBytes(src, keyStart + header, length, extraKey);
    }

    private static boolean equalBytes(ByteBuf src, int index, long length, byte[] key) {
        if (length != key.length) {
            return false;
        }
        for (int i = 0; i < key.length; i++) {
            if (src.getByte(index + i) != key[i]) {
                return false;
            }
        }
        return true;
    }
}
