package org.kinesisaggregator.buffer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import org.msgpack.core.MessageBufferPacker;
import org.msgpack.core.MessagePack;

/**
 * Builds entries in the buffer's format from Java values: EventTime times and records made of
 * maps, lists, strings, numbers, booleans, byte arrays and nulls. For tests, benchmarks and the
 * few places that create events (not the forward hot path, which keeps the bytes it received).
 *
 * <p>Not thread-safe.
 */
public final class EntryWriter {
    private final MessageBufferPacker packer = MessagePack.newDefaultBufferPacker();
    private int eventCount;

    /** Appends {@code [EventTime(epochSecond, nanos), record]}. */
    public EntryWriter add(long epochSecond, int nanos, Map<String, ?> record) {
        try {
            packer.packArrayHeader(2);
            packEventTime(epochSecond, nanos);
            packValue(record);
            eventCount++;
            return this;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Appends {@code [epochSecond, record]} with an integer time. */
    public EntryWriter addIntegerTime(long epochSecond, Map<String, ?> record) {
        try {
            packer.packArrayHeader(2);
            packer.packLong(epochSecond);
            packValue(record);
            eventCount++;
            return this;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Appends {@code [seconds, record]} with a float time. */
    public EntryWriter addFloatTime(double seconds, Map<String, ?> record) {
        try {
            packer.packArrayHeader(2);
            packer.packDouble(seconds);
            packValue(record);
            eventCount++;
            return this;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public int eventCount() {
        return eventCount;
    }

    /** The entries written so far, as a new heap buffer. */
    public ByteBuffer toByteBuffer() {
        return ByteBuffer.wrap(packer.toByteArray());
    }

    public byte[] toByteArray() {
        return packer.toByteArray();
    }

    private void packEventTime(long epochSecond, int nanos) throws IOException {
        packer.packExtensionTypeHeader(EventEntries.EVENT_TIME_EXT_TYPE, EventEntries.EVENT_TIME_LENGTH);
        byte[] b = new byte[EventEntries.EVENT_TIME_LENGTH];
        b[0] = (byte) (epochSecond >>> 24);
        b[1] = (byte) (epochSecond >>> 16);
        b[2] = (byte) (epochSecond >>> 8);
        b[3] = (byte) epochSecond;
        b[4] = (byte) (nanos >>> 24);
        b[5] = (byte) (nanos >>> 16);
        b[6] = (byte) (nanos >>> 8);
        b[7] = (byte) nanos;
        packer.writePayload(b);
    }

    private void packValue(Object value) throws IOException {
        if (value == null) {
            packer.packNil();
        } else if (value instanceof String s) {
            packer.packString(s);
        } else if (value instanceof Integer
                || value instanceof Long
                || value instanceof Short
                || value instanceof Byte) {
            packer.packLong(((Number) value).longValue());
        } else if (value instanceof Double || value instanceof Float) {
            packer.packDouble(((Number) value).doubleValue());
        } else if (value instanceof Boolean b) {
            packer.packBoolean(b);
        } else if (value instanceof byte[] bytes) {
            packer.packBinaryHeader(bytes.length);
            packer.writePayload(bytes);
        } else if (value instanceof Map<?, ?> map) {
            packer.packMapHeader(map.size());
            for (Map.Entry<?, ?> e : map.entrySet()) {
                packValue(e.getKey());
                packValue(e.getValue());
            }
        } else if (value instanceof List<?> list) {
            packer.packArrayHeader(list.size());
            for (Object o : list) {
                packValue(o);
            }
        } else {
            throw new IllegalArgumentException(
                    "value of " + value.getClass() + " (expected: map, list, string, number, boolean, byte[] or null)");
        }
    }
}
