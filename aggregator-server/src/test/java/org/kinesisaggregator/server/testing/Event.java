package org.kinesisaggregator.server.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.kinesisaggregator.buffer.EventCursor;
import org.kinesisaggregator.buffer.EventEntries;
import org.kinesisaggregator.buffer.Frame;
import org.msgpack.core.MessagePack;
import org.msgpack.core.MessageUnpacker;
import org.msgpack.value.Value;

/** One event as it reached a sink: tag, time with nanoseconds, record as Java values. */
public record Event(String tag, long epochSecond, int nanos, Map<String, Object> record) {

    public static Event of(String tag, long epochSecond, int nanos, Map<String, Object> record) {
        return new Event(tag, epochSecond, nanos, record);
    }

    /** Decodes {@code entries} (buffer-store entry format) with {@link EventEntries#cursor}. */
    public static List<Event> decode(String tag, ByteBuffer entries, int eventCount) {
        List<Event> events = new ArrayList<>();
        try (EventCursor cursor =
                EventEntries.cursor(List.of(new Frame(tag, entries.duplicate(), eventCount, 0)), i -> false)) {
            while (cursor.next()) {
                events.add(new Event(cursor.tag(), cursor.epochSecond(), cursor.nanos(), toMap(cursor.record())));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (events.size() != eventCount) {
            throw new AssertionError("entries hold " + events.size() + " events, append said " + eventCount);
        }
        return events;
    }

    @SuppressWarnings("unchecked")
    public static Map<String, Object> toMap(ByteBuffer record) {
        ByteBuffer view = record.duplicate();
        byte[] bytes = new byte[view.remaining()];
        view.get(bytes);
        try (MessageUnpacker u = MessagePack.newDefaultUnpacker(bytes)) {
            return (Map<String, Object>) toJava(u.unpackValue());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static Object toJava(Value v) {
        switch (v.getValueType()) {
            case NIL:
                return null;
            case BOOLEAN:
                return v.asBooleanValue().getBoolean();
            case INTEGER:
                return v.asIntegerValue().toLong();
            case FLOAT:
                return v.asFloatValue().toDouble();
            case STRING:
                return v.asStringValue().asString();
            case BINARY:
                return v.asBinaryValue().asByteArray();
            case ARRAY: {
                List<Object> list = new ArrayList<>();
                for (Value e : v.asArrayValue()) {
                    list.add(toJava(e));
                }
                return list;
            }
            case MAP: {
                Map<String, Object> map = new LinkedHashMap<>();
                for (Map.Entry<Value, Value> e : v.asMapValue().entrySet()) {
                    map.put(e.getKey().toString(), toJava(e.getValue()));
                }
                return map;
            }
            default:
                return v.toString();
        }
    }
}
