package org.kinesisaggregator.server.output;

import java.util.ArrayList;
import java.util.List;

/** The chunk keys of a {@code <buffer KEYS>} argument: {@code tag,time}, {@code []}, "". Stateless. */
public final class ChunkKeySpec {
    private ChunkKeySpec() {}

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
