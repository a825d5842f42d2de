package org.kinesisaggregator.server.route;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import org.kinesisaggregator.buffer.AppendResult;
import org.kinesisaggregator.buffer.BufferException;
import org.kinesisaggregator.buffer.ChunkMetadata;
import org.kinesisaggregator.buffer.EventBuffer;
import org.kinesisaggregator.buffer.EventCursor;
import org.kinesisaggregator.buffer.EventEntries;
import org.kinesisaggregator.buffer.EventSink;
import org.kinesisaggregator.buffer.Frame;
import org.kinesisaggregator.buffer.StreamedAppend;
import org.msgpack.core.MessagePack;
import org.msgpack.core.MessageUnpacker;
import org.msgpack.value.Value;

/**
 * Record-key chunk keys ({@code <buffer $.kubernetes.annotations.stream, level>}) in front of an
 * output's buffer: the events of one append are grouped by the values of the keys in their records,
 * as Fluentd's {@code Output#metadata} does, and each group is appended with its
 * {@link ChunkMetadata}, so that the buffer stages a chunk per distinct values and the output
 * resolves {@code ${$.kubernetes.annotations.stream}} once per chunk.
 *
 * <p>A value is the record's value as text ({@code to_s}: strings as they are, numbers as written,
 * maps and arrays as JSON); a record without the key (or nil) has {@code ""}. Events keep their
 * order within each group.
 *
 * <p><b>Acks.</b> The returned future completes once every group is stored; if one fails the append
 * fails (no ack: the forwarder re-sends the whole message). The groups already stored are then
 * stored again, unless the dedup window recognises them: each group carries the message's dedup key,
 * and a re-send makes the same groups with the same entries, so each stored one is a duplicate.
 * Duplicates possible, loss never.
 *
 * <p><b>Time.</b> With the {@code time} chunk key ({@code <buffer time>} and {@code timekey}),
 * events are grouped by their time slice too: the event time floored to {@code timekey} in
 * {@code timekey_zone}, as Fluentd's {@code calculate_timekey}; the slice start is the metadata's
 * {@link ChunkMetadata#timekey()}.
 *
 * <p>An append whose events all share their values is passed on as it is (no copy); otherwise each
 * group is copied. Thread-safe and non-blocking, like the buffer behind it.
 */
public final class ChunkKeySink implements EventSink {
    /** The most distinct values one streamed (very large) message may have: each holds a private chunk file open. */
    public static final int MAX_STREAM_GROUPS = 256;

    private final EventBuffer buffer;
    private final List<String> names;
    private final List<RecordKey> keys;
    /** The time slice length in seconds, or 0 without the time chunk key. */
    private final long timekey;

    private final ZoneId zone;

    /**
     * @param buffer the output's buffer
     * @param keyNames the record chunk keys as written in {@code <buffer>} (not tag, not time); each
     *     a top-level key or a record_accessor path ({@code $.a.b}, {@code $['a']})
     * @throws IllegalArgumentException when a key does not parse
     */
    public ChunkKeySink(EventBuffer buffer, List<String> keyNames) {
        this(buffer, keyNames, null, ZoneId.of("UTC"));
    }

    /**
     * @param buffer the output's buffer
     * @param keyNames the record chunk keys (may be empty when {@code timekey} is set)
     * @param timekey the time slice length ({@code time} chunk key), or null
     * @param zone the zone of the time slices ({@code timekey_zone}, UTC with {@code timekey_use_utc})
     * @throws IllegalArgumentException when a key does not parse, or there is neither a key nor a timekey
     */
    public ChunkKeySink(EventBuffer buffer, List<String> keyNames, Duration timekey, ZoneId zone) {
        if (keyNames.isEmpty() && timekey == null) {
            throw new IllegalArgumentException(
                    "keyNames: empty without timekey (expected: at least one record chunk key, or time)");
        }
        if (timekey != null && timekey.toSeconds() <= 0) {
            throw new IllegalArgumentException("timekey: " + timekey + " (expected: >= 1s)");
        }
        this.timekey = timekey == null ? 0 : timekey.toSeconds();
        this.zone = java.util.Objects.requireNonNull(zone, "zone");
        this.buffer = buffer;
        this.names = List.copyOf(keyNames);
        List<RecordKey> parsed = new ArrayList<>();
        for (String name : names) {
            parsed.add(RecordKey.parse(name));
        }
        this.keys = List.copyOf(parsed);
    }

    /** The start of the time slice of {@code epochSecond}: floored to the timekey in the zone. */
    long sliceStart(long epochSecond) {
        long offset =
                zone.getRules().getOffset(Instant.ofEpochSecond(epochSecond)).getTotalSeconds();
        return Math.floorDiv(epochSecond + offset, timekey) * timekey - offset;
    }

    /** The key names, as written. */
    public List<String> keyNames() {
        return names;
    }

    @Override
    public CompletableFuture<AppendResult> append(String tag, ByteBuffer entries, int eventCount, byte[] dedupKey) {
        Map<ChunkMetadata, Group> groups;
        try {
            groups = group(tag, entries, eventCount);
        } catch (IOException | RuntimeException e) {
            return CompletableFuture.failedFuture(
                    new BufferException("append of tag " + tag + ": chunk keys " + names + " unreadable: " + e, e));
        }
        if (groups.size() <= 1) {
            ChunkMetadata m = groups.isEmpty()
                    ? metadataOfNothing()
                    : groups.keySet().iterator().next();
            return buffer.append(tag, m, entries, eventCount, dedupKey);
        }
        CompletableFuture<AppendResult> all = null;
        for (Map.Entry<ChunkMetadata, Group> g : groups.entrySet()) {
            CompletableFuture<AppendResult> f =
                    buffer.append(tag, g.getKey(), g.getValue().bytes(), g.getValue().count, dedupKey);
            all = all == null ? f : all.thenCombine(f, AppendResult::and);
        }
        return all;
    }

    private ChunkMetadata metadataOfNothing() {
        TreeMap<String, String> empty = new TreeMap<>();
        names.forEach(n -> empty.put(n, ""));
        return ChunkMetadata.of(empty);
    }

    @Override
    public StreamedAppend openStream(String tag) {
        return new GroupedStream(tag);
    }

    /** The events of one distinct value set, copied out of an append. */
    private static final class Group {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        int count;

        ByteBuffer bytes() {
            return ByteBuffer.wrap(out.toByteArray());
        }
    }

    /** Groups entries by their key values, in order of first appearance. */
    private Map<ChunkMetadata, Group> group(String tag, ByteBuffer entries, int eventCount) throws IOException {
        Map<ChunkMetadata, Group> groups = new LinkedHashMap<>();
        ChunkMetadata first = null;
        boolean mixed = false;
        List<ChunkMetadata> perEvent = new ArrayList<>(eventCount);
        try (EventCursor cursor =
                        EventEntries.cursor(List.of(new Frame(tag, entries.duplicate(), eventCount, 0)), i -> false);
                MessageUnpacker unpacker = MessagePack.newDefaultUnpacker(new byte[0])) {
            while (cursor.next()) {
                unpacker.reset(MsgpackInputs.of(cursor.record()));
                Value record = unpacker.unpackValue();
                TreeMap<String, String> values = new TreeMap<>();
                for (int i = 0; i < keys.size(); i++) {
                    Value v = record.isMapValue() ? keys.get(i).get(record.asMapValue()) : null;
                    values.put(names.get(i), Values.text(v));
                }
                ChunkMetadata m = ChunkMetadata.of(values);
                if (timekey > 0) {
                    m = m.withTimekey(sliceStart(cursor.epochSecond()));
                }
                perEvent.add(m);
                if (first == null) {
                    first = m;
                } else if (!mixed && !first.equals(m)) {
                    mixed = true;
                }
            }
        }
        if (!mixed) {
            if (first != null) {
                groups.put(first, new Group());
            }
            return groups;
        }
        try (EventCursor cursor =
                EventEntries.cursor(List.of(new Frame(tag, entries.duplicate(), eventCount, 0)), i -> false)) {
            int i = 0;
            while (cursor.next()) {
                Group g = groups.computeIfAbsent(perEvent.get(i++), k -> new Group());
                ByteBuffer entry = cursor.entry();
                byte[] bytes = new byte[entry.remaining()];
                entry.duplicate().get(bytes);
                g.out.writeBytes(bytes);
                g.count++;
            }
        }
        return groups;
    }

    /** A streamed append split into one buffer stream per distinct values. One caller at a time. */
    private final class GroupedStream implements StreamedAppend {
        private final String tag;
        private final Map<ChunkMetadata, StreamedAppend> streams = new LinkedHashMap<>();
        private boolean failed;

        GroupedStream(String tag) {
            this.tag = tag;
        }

        @Override
        public CompletableFuture<Void> write(ByteBuffer entries, int eventCount) {
            Map<ChunkMetadata, Group> groups;
            try {
                groups = group(tag, entries, eventCount);
            } catch (IOException | RuntimeException e) {
                failed = true;
                return CompletableFuture.failedFuture(new BufferException(
                        "streamed append of tag " + tag + ": chunk keys " + names + " unreadable: " + e, e));
            }
            if (groups.size() == 1) {
                ChunkMetadata m = groups.keySet().iterator().next();
                StreamedAppend s = stream(m);
                if (s == null) {
                    return tooMany();
                }
                return s.write(entries, eventCount);
            }
            CompletableFuture<Void> all = CompletableFuture.completedFuture(null);
            for (Map.Entry<ChunkMetadata, Group> g : groups.entrySet()) {
                StreamedAppend s = stream(g.getKey());
                if (s == null) {
                    return tooMany();
                }
                all = CompletableFuture.allOf(all, s.write(g.getValue().bytes(), g.getValue().count));
            }
            return all;
        }

        private StreamedAppend stream(ChunkMetadata m) {
            StreamedAppend s = streams.get(m);
            if (s == null) {
                if (streams.size() >= MAX_STREAM_GROUPS) {
                    return null;
                }
                s = buffer.openStream(tag, m);
                streams.put(m, s);
            }
            return s;
        }

        private CompletableFuture<Void> tooMany() {
            failed = true;
            return CompletableFuture.failedFuture(new BufferException("streamed append of tag " + tag + ": more than "
                    + MAX_STREAM_GROUPS + " distinct values of chunk keys " + names
                    + " in one message (expected: fewer, or smaller messages from the forwarder)"));
        }

        @Override
        public CompletableFuture<AppendResult> commit(byte[] dedupKey) {
            if (failed) {
                abandon();
                return CompletableFuture.failedFuture(
                        new BufferException("streamed append of tag " + tag + " failed earlier; nothing stored"));
            }
            if (streams.isEmpty()) {
                return buffer.openStream(tag, metadataOfNothing()).commit(dedupKey);
            }
            CompletableFuture<AppendResult> all = null;
            for (StreamedAppend s : streams.values()) {
                CompletableFuture<AppendResult> f = s.commit(dedupKey);
                all = all == null ? f : all.thenCombine(f, AppendResult::and);
            }
            return all;
        }

        @Override
        public void abandon() {
            for (StreamedAppend s : streams.values()) {
                s.abandon();
            }
        }
    }
}
