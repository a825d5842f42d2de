package org.kinesisaggregator.buffer;

import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * One append as the buffer keeps it: the entries of one tag, and the chunk index of its first
 * event. On disk a frame is {@code u32 length | u32 crc32c | u32 event count | u16 tag length | tag
 * | entries} (see the package documentation); in memory it is this record.
 *
 * @param tag the events' tag
 * @param entries msgpack {@code [time, record]} entries (a read-only view is kept by readers)
 * @param eventCount number of entries
 * @param firstIndex chunk index of the first entry
 */
public record Frame(String tag, ByteBuffer entries, int eventCount, int firstIndex) {
    public Frame {
        Objects.requireNonNull(tag, "tag");
        Objects.requireNonNull(entries, "entries");
        if (eventCount < 0) {
            throw new IllegalArgumentException("eventCount: " + eventCount + " (expected: >= 0)");
        }
        if (firstIndex < 0) {
            throw new IllegalArgumentException("firstIndex: " + firstIndex + " (expected: >= 0)");
        }
    }
}
