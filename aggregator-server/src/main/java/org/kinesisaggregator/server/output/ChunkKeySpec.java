package org.kinesisaggregator.server.output;

import java.util.ArrayList;
import java.util.List;

/** The chunk keys of a {@code <buffer KEYS>} argument: {@code tag,time}, {@code []}, "". Stateless. */
public final class ChunkKeySpec {
    private ChunkKeySpec() {}

    /** Fluentd's pattern of a top-level record chunk key ({@code CHUNK_KEY_PATTERN}). */
    private static final java.util.regex.Pattern TOP_LEVEL_KEY = java.util.regex.Pattern.compile("[-_.@a-zA-Z0-9]+");

    /** The record chunk keys among {@code keys}: all but {@code tag} and {@code time}, in order. */
    public static List<String> recordKeys(List<String> keys) {
        return keys.stream().filter(k -> !k.equals("tag") && !k.equals("time")).toList();
    }

    /**
     * Why {@code key} is no record chunk key, or null when it is one: a top-level key of
     * {@code [-_.@a-zA-Z0-9]} or a record_accessor path ({@code $.a.b}, {@code $['a']}).
     */
    public static String whyNotARecordKey(String key) {
        if (key.startsWith("$")) {
            try {
                org.kinesisaggregator.server.route.RecordKey.parse(key);
                return null;
            } catch (IllegalArgumentException e) {
                return e.getMessage();
            }
        }
        return TOP_LEVEL_KEY.matcher(key).matches()
                ? null
                : "chunk key '" + key + "' (expected: tag, time, a record key of [-_.@a-zA-Z0-9] or $.a.b)";
    }

    /** The keys in order, trimmed; empty for "" and {@code []}. */
    public static List<String> parse(String arg) {
        String a = arg.trim();
        if (a.startsWith("[") && a.endsWith("]")) {
            a = a.substring(1, a.length() - 1);
        }
        List<String> keys = new ArrayList<>();
        for (String k : a.split(",")) {
            String t = k.trim();
            if (t.startsWith("\"") && t.endsWith("\"") && t.length() >= 2) {
                t = t.substring(1, t.length() - 1);
            }
            if (!t.isEmpty()) {
                keys.add(t);
            }
        }
        return List.copyOf(keys);
    }
}
