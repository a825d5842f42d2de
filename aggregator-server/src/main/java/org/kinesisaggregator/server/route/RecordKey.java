package org.kinesisaggregator.server.route;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.msgpack.value.MapValue;
import org.msgpack.value.Value;
import org.msgpack.value.ValueFactory;

/**
 * A record field named in the conf: a top-level key ({@code message}) or a nested path in
 * Fluentd's record_accessor syntax, {@code $.a.b} or {@code $['a']['b c']}.
 *
 * <p>Immutable; thread-safe.
 */
public final class RecordKey {
    private final String text;
    private final List<Value> path;

    private RecordKey(String text, List<Value> path) {
        this.text = text;
        this.path = path;
    }

    /** Parses a key; throws {@link IllegalArgumentException} with the reason. */
    public static RecordKey parse(String text) {
        if (!text.startsWith("$")) {
            return new RecordKey(text, List.of(ValueFactory.newString(text)));
        }
        List<Value> parts = new ArrayList<>();
        int i = 1;
        while (i < text.length()) {
            char c = text.charAt(i);
            if (c == '.') {
                int end = i + 1;
                while (end < text.length() && text.charAt(end) != '.' && text.charAt(end) != '[') {
                    end++;
                }
                if (end == i + 1) {
                    throw new IllegalArgumentException("key " + text + ": empty part at " + i + " (expected: $.a.b)");
                }
                parts.add(ValueFactory.newString(text.substring(i + 1, end)));
                i = end;
            } else if (c == '[' && i + 1 < text.length() && (text.charAt(i + 1) == '\'' || text.charAt(i + 1) == '"')) {
                char q = text.charAt(i + 1);
                int close = text.indexOf(q, i + 2);
                if (close < 0 || close + 1 >= text.length() || text.charAt(close + 1) != ']') {
                    throw new IllegalArgumentException("key " + text + ": unclosed [" + q + " (expected: $['a'])");
                }
                parts.add(ValueFactory.newString(text.substring(i + 2, close)));
                i = close + 2;
            } else {
                throw new IllegalArgumentException(
                        "key " + text + ": unexpected '" + c + "' at " + i + " (expected: $.a.b or $['a']['b'])");
            }
        }
        if (parts.isEmpty()) {
            throw new IllegalArgumentException("key " + text + ": no field (expected: $.a.b or $['a'])");
        }
        return new RecordKey(text, List.copyOf(parts));
    }

    /** The value at this key, or null when a part is missing or not a map. */
    public Value get(MapValue record) {
        Value current = record;
        for (Value part : path) {
            if (current == null || !current.isMapValue()) {
                return null;
            }
            current = current.asMapValue().map().get(part);
        }
        return current;
    }

    /** A copy of {@code record} without this key (the same instance when the key is absent). */
    public MapValue remove(MapValue record) {
        return removeAt(record, 0);
    }

    private MapValue removeAt(MapValue map, int depth) {
        Map<Value, Value> entries = map.map();
        Value part = path.get(depth);
        if (!entries.containsKey(part)) {
            return map;
        }
        Map<Value, Value> copy = new LinkedHashMap<>(entries);
        if (depth == path.size() - 1) {
            copy.remove(part);
        } else {
            Value child = entries.get(part);
            if (!child.isMapValue()) {
                return map;
            }
            MapValue updated = removeAt(child.asMapValue(), depth + 1);
            if (updated == child) {
                return map;
            }
            copy.put(part, updated);
        }
        return ValueFactory.newMap(copy);
    }

    @Override
    public String toString() {
        return text;
    }
}
