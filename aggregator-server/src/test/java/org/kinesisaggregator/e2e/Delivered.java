package org.kinesisaggregator.e2e;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * What reached an output, compared with what {@link AckedSender} sent: every acked id must be
 * there; every record must be exactly the one sent under its id; duplicates and sent-but-unacked
 * arrivals are counted.
 */
final class Delivered {
    private static final JsonFactory JSON = new JsonFactory();

    /** The counts of one comparison. */
    record Report(
            int acked,
            int unacked,
            int read,
            int distinct,
            int duplicates,
            int unackedArrived,
            TreeSet<Long> missing,
            List<String> wrong) {
        @Override
        public String toString() {
            return acked + " events acked, " + unacked + " sent without ack; read " + read + " (" + distinct
                    + " distinct): "
                    + duplicates + " duplicates, " + unackedArrived + " unacked that arrived anyway, " + missing.size()
                    + " acked missing"
                    + (missing.isEmpty()
                            ? ""
                            : " (first: " + missing.stream().limit(20).toList() + ")")
                    + ", " + wrong.size() + " wrong"
                    + (wrong.isEmpty()
                            ? ""
                            : " (first: " + wrong.stream().limit(5).toList() + ")");
        }
    }

    private Delivered() {}

    /**
     * @param records each delivered record as JSON text, with its tag (or null when the output has none)
     */
    static Report compare(AckedSender sender, List<Map.Entry<String, String>> records) {
        Map<Long, Integer> copies = new HashMap<>();
        List<String> wrong = new ArrayList<>();
        for (Map.Entry<String, String> r : records) {
            Map<String, Object> record;
            try {
                record = parseFlat(r.getValue());
            } catch (IOException | RuntimeException e) {
                wrong.add("unparseable: " + r.getValue());
                continue;
            }
            Object id = record.get("id");
            Map<String, Object> sent =
                    id instanceof Long l ? sender.sentRecords().get(l) : null;
            if (sent == null) {
                wrong.add("never sent: " + r.getValue());
                continue;
            }
            if (!sent.equals(record)
                    || (r.getKey() != null
                            && !r.getKey().equals(sender.sentTag().get((Long) id)))) {
                wrong.add("differs from what was sent: " + r.getKey() + " " + r.getValue() + " (sent " + sent + ")");
                continue;
            }
            copies.merge((Long) id, 1, Integer::sum);
        }
        Set<Long> acked = new HashSet<>(sender.acked());
        TreeSet<Long> missing = new TreeSet<>(acked);
        missing.removeAll(copies.keySet());
        int unackedArrived = 0;
        for (Long id : sender.unacked()) {
            if (copies.containsKey(id)) {
                unackedArrived++;
            }
        }
        int read = copies.values().stream().mapToInt(Integer::intValue).sum();
        return new Report(
                acked.size(),
                sender.unacked().size(),
                read,
                copies.size(),
                read - copies.size(),
                unackedArrived,
                missing,
                wrong);
    }

    /** A flat JSON object of strings and integers (what {@link AckedSender} sends). */
    static Map<String, Object> parseFlat(String json) throws IOException {
        Map<String, Object> m = new LinkedHashMap<>();
        try (JsonParser p = JSON.createParser(json)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new IOException("not an object");
            }
            JsonToken t;
            while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken value = p.nextToken();
                m.put(name, value == JsonToken.VALUE_NUMBER_INT ? (Object) p.getLongValue() : p.getText());
            }
            if (t != JsonToken.END_OBJECT || p.nextToken() != null) {
                throw new IOException("trailing data");
            }
        }
        return m;
    }
}
