package org.kinesisaggregator.server.route;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import org.kinesisaggregator.buffer.EventCursor;
import org.kinesisaggregator.buffer.EventEntries;
import org.kinesisaggregator.buffer.Frame;
import org.msgpack.core.MessageBufferPacker;
import org.msgpack.core.MessagePack;
import org.msgpack.core.MessageUnpacker;
import org.msgpack.core.buffer.MessageBufferInput;
import org.msgpack.value.MapValue;
import org.msgpack.value.Value;

/**
 * The filters that apply to one tag, in conf order, run over a frame of entries. Decodes each
 * record once, runs the filters, and writes the kept events into new entries: an event whose record
 * no filter changed is copied byte for byte; a changed record is re-encoded with the original time
 * bytes (a time a filter changed is written as an EventTime). Events a filter threw on are collected
 * apart, unchanged, for the {@code @ERROR} label; an error event a filter reports besides its result
 * ({@link EventFilter.Filtered#error()}) is collected as that filter got it.
 *
 * <p>Immutable; thread-safe (each call uses its own unpacker and packers).
 */
public final class FilterChain {
    private final List<EventFilter> filters;

    public FilterChain(List<EventFilter> filters) {
        this.filters = List.copyOf(filters);
    }

    public boolean isEmpty() {
        return filters.isEmpty();
    }

    public List<EventFilter> filters() {
        return filters;
    }

    /**
     * What filtering a frame produced.
     *
     * @param entries kept events, in the buffer's entry format
     * @param eventCount how many
     * @param droppedCount events a filter dropped
     * @param errorEntries events a filter failed on, unchanged
     * @param errorCount how many
     * @param firstError the first failure, for the log, or null
     */
    public record Result(
            ByteBuffer entries,
            int eventCount,
            int droppedCount,
            ByteBuffer errorEntries,
            int errorCount,
            RuntimeException firstError) {}

    /** Filters {@code eventCount} entries of {@code tag}; does not move {@code entries}' position. */
    public Result apply(String tag, ByteBuffer entries, int eventCount) throws IOException {
        MessageBufferPacker kept = MessagePack.newDefaultBufferPacker();
        MessageBufferPacker errors = null;
        int keptCount = 0;
        int dropped = 0;
        int errorCount = 0;
        RuntimeException firstError = null;
        MessageUnpacker unpacker = null;
        try (EventCursor cursor =
                EventEntries.cursor(List.of(new Frame(tag, entries.duplicate(), eventCount, 0)), i -> false)) {
            while (cursor.next()) {
                ByteBuffer recordBytes = cursor.record();
                MessageBufferInput input = MsgpackInputs.of(recordBytes);
                if (unpacker == null) {
                    unpacker = MessagePack.newDefaultUnpacker(input);
                } else {
                    unpacker.reset(input);
                }
                MapValue original = unpacker.unpackValue().asMapValue();
                MapValue current = original;
                long second = cursor.epochSecond();
                int nanos = cursor.nanos();
                try {
                    for (EventFilter f : filters) {
                        EventFilter.Filtered out = f.filterEvent(tag, second, nanos, current);
                        if (out.error() != null) {
                            // the event as this filter got it goes to @ERROR; the chain goes on with the result
                            if (errors == null) {
                                errors = MessagePack.newDefaultBufferPacker();
                            }
                            if (current == original && second == cursor.epochSecond() && nanos == cursor.nanos()) {
                                writeRaw(errors, cursor.entry());
                            } else {
                                writeEntry(errors, second, nanos, current);
                            }
                            errorCount++;
                            if (firstError == null) {
                                firstError = out.error();
                            }
                        }
                        current = out.record();
                        second = out.epochSecond();
                        nanos = out.nanos();
                        if (current == null) {
                            break;
                        }
                    }
                } catch (RuntimeException e) {
                    if (errors == null) {
                        errors = MessagePack.newDefaultBufferPacker();
                    }
                    writeRaw(errors, cursor.entry());
                    errorCount++;
                    if (firstError == null) {
                        firstError = e;
                    }
                    continue;
                }
                if (current == null) {
                    dropped++;
                    continue;
                }
                keptCount++;
                boolean sameTime = second == cursor.epochSecond() && nanos == cursor.nanos();
                if (current == original && sameTime) {
                    writeRaw(kept, cursor.entry());
                } else if (sameTime) {
                    ByteBuffer entry = cursor.entry();
                    int header = arrayHeaderLength(entry.get(entry.position()));
                    ByteBuffer time = entry.duplicate();
                    time.position(entry.position() + header).limit(entry.limit() - recordBytes.remaining());
                    kept.packArrayHeader(2);
                    writeRaw(kept, time);
                    kept.packValue((Value) current);
                } else {
                    writeEntry(kept, second, nanos, current);
                }
            }
        } finally {
            if (unpacker != null) {
                unpacker.close();
            }
        }
        return new Result(
                ByteBuffer.wrap(kept.toByteArray()),
                keptCount,
                dropped,
                errors == null ? ByteBuffer.allocate(0) : ByteBuffer.wrap(errors.toByteArray()),
                errorCount,
                firstError);
    }

    private static int arrayHeaderLength(byte first) {
        int b = first & 0xFF;
        if ((b & 0xF0) == 0x90) {
            return 1;
        }
        return switch (b) {
            case 0xDC -> 3;
            case 0xDD -> 5;
            default ->
                throw new IllegalStateException(
                        "entry: first byte 0x" + Integer.toHexString(b) + " (expected: a msgpack array header)");
        };
    }

    /** {@code [EventTime(second, nanos), record]}: a time a filter set is written as an EventTime. */
    private static void writeEntry(MessageBufferPacker packer, long second, int nanos, MapValue record)
            throws IOException {
        packer.packArrayHeader(2);
        packer.packExtensionTypeHeader(EventEntries.EVENT_TIME_EXT_TYPE, EventEntries.EVENT_TIME_LENGTH);
        packer.writePayload(
                ByteBuffer.allocate(8).putInt((int) second).putInt(nanos).array());
        packer.packValue((Value) record);
    }

    private static void writeRaw(MessageBufferPacker packer, ByteBuffer bytes) throws IOException {
        byte[] copy = new byte[bytes.remaining()];
        bytes.duplicate().get(copy);
        packer.writePayload(copy);
    }
}
