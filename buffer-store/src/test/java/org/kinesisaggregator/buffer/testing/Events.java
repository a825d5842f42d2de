package org.kinesisaggregator.buffer.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.kinesisaggregator.buffer.Chunk;
import org.kinesisaggregator.buffer.EntryWriter;
import org.kinesisaggregator.buffer.EventCursor;
import org.msgpack.core.MessagePack;
import org.msgpack.core.MessageUnpacker;

/** Builds entries whose records carry an event id, and reads the ids back. */
public final class Events {
    private Events() {}

    /** Entries of events {@code firstId .. firstId+count-1}, each with {@code padBytes} of padding. */
    public static ByteBuffer entries(long firstId, int count, int padBytes) {
        EntryWriter w = new EntryWriter();
        String pad = "x".repeat(padBytes);
        for (int i = 0; i < count; i++) {
            Map<String, Object> record = new LinkedHashMap<>();
            record.put("id", firstId + i);
            record.put("pad", pad);
            w.add(1_700_000_000L + i, 0, record);
        }
        return w.toByteBuffer();
    }

    /** Size in bytes of one event made by {@link #entries} with this padding (for ids < 2^31). */
    public static int eventBytes(long id, int padBytes) {
        return entries(id, 1, padBytes).remaining();
    }

    /** The id in a record made by {@link #entries}. */
    public static long id(ByteBuffer record) {
        // records are read-only views, which msgpack-core reads only when direct: copy
        byte[] bytes = new byte[record.remaining()];
        record.duplicate().get(bytes);
        try (MessageUnpacker u = MessagePack.newDefaultUnpacker(bytes)) {
            int n = u.unpackMapHeader();
            for (int i = 0; i < n; i++) {
                String key = u.unpackString();
                if (key.equals("id")) {
                    return u.unpackLong();
                }
                u.skipValue();
            }
            throw new IllegalStateException("record without id");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The not-done events of a chunk: index, tag and id. */
    public record Event(int index, String tag, long id) {}

    public static List<Event> read(Chunk chunk) {
        List<Event> out = new ArrayList<>();
        try (EventCursor c = chunk.events()) {
            while (c.next()) {
                out.add(new Event(c.index(), c.tag(), id(c.record())));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }
}
