package org.kinesisaggregator.kinesis.testing;

import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.kinesisaggregator.buffer.EntryWriter;
import org.kinesisaggregator.buffer.Frame;
import org.kinesisaggregator.buffer.InMemoryChunk;

/**
 * Seeded test events of about {@code approxBytes} of JSON each, every one with a unique
 * {@code seq}, so that a reader can check content, count and duplicates.
 */
public final class TestEvents {
    private static final String[] WORDS = {
        "GET",
        "/index.html",
        "200",
        "ユーザー",
        "naïve",
        "\"quoted\"",
        "tab\there",
        "line\nbreak",
        "emoji \uD83D\uDE00",
        "back\\slash",
        "ok",
        "photo",
        "access",
        "user"
    };

    private TestEvents() {}

    /** {@code count} events starting at {@code firstSeq}, with ~{@code approxBytes} of JSON each. */
    public static List<Map<String, Object>> records(Random random, long firstSeq, int count, int approxBytes) {
        List<Map<String, Object>> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            Map<String, Object> record = new LinkedHashMap<>();
            record.put("seq", firstSeq + i);
            record.put("host", "web-" + random.nextInt(8));
            record.put("user", "u" + random.nextInt(1000));
            record.put("status", 200 + random.nextInt(5));
            StringBuilder message = new StringBuilder();
            while (message.length() < approxBytes - 90) {
                message.append(WORDS[random.nextInt(WORDS.length)]).append(' ');
            }
            record.put("message", message.toString());
            out.add(record);
        }
        return out;
    }

    /** A one-frame chunk of {@code records} under {@code tag}, times counting up from {@code epochSecond}. */
    public static InMemoryChunk chunk(String id, String tag, List<Map<String, Object>> records, long epochSecond) {
        EntryWriter writer = new EntryWriter();
        for (int i = 0; i < records.size(); i++) {
            writer.add(epochSecond + i / 1000, (i % 1000) * 1000, records.get(i));
        }
        return InMemoryChunk.of(id, tag, writer.toByteBuffer(), records.size(), Instant.now());
    }

    /** A chunk with one frame per tag, {@code perTag} records each. */
    public static InMemoryChunk multiTagChunk(
            String id, Map<String, List<Map<String, Object>>> recordsByTag, long epochSecond) {
        List<Frame> frames = new ArrayList<>();
        int first = 0;
        for (Map.Entry<String, List<Map<String, Object>>> e : recordsByTag.entrySet()) {
            EntryWriter writer = new EntryWriter();
            for (Map<String, Object> r : e.getValue()) {
                writer.add(epochSecond, 0, r);
            }
            ByteBuffer entries = writer.toByteBuffer();
            frames.add(new Frame(e.getKey(), entries, e.getValue().size(), first));
            first += e.getValue().size();
        }
        return new InMemoryChunk(id, frames, Instant.now());
    }
}
