package org.kinesisaggregator.buffer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Iterator;
import java.util.List;
import java.util.function.IntPredicate;
import org.msgpack.core.ExtensionTypeHeader;
import org.msgpack.core.MessageFormat;
import org.msgpack.core.MessagePack;
import org.msgpack.core.MessageUnpacker;
import org.msgpack.core.buffer.ByteBufferInput;
import org.msgpack.value.ValueType;

/**
 * The buffer's event entry format, the forward protocol's PackedForward entries: msgpack arrays
 * {@code [time, record]} back to back. {@code time} is an integer (seconds), a float (seconds) or
 * an EventTime: ext type {@value #EVENT_TIME_EXT_TYPE}, 8 bytes, big-endian u32 seconds then u32
 * nanoseconds. {@code record} is a map. A Fluent Bit style {@code [[time, metadata], record]}
 * entry is read as {@code [time, record]} (the metadata is skipped); the server normally rewrites
 * them before they reach a buffer.
 *
 * <p>Stateless; thread-safe.
 */
public final class EventEntries {

    /** msgpack ext type of the forward protocol's EventTime. */
    public static final byte EVENT_TIME_EXT_TYPE = 0;

    /** Payload length of an EventTime ext value. */
    public static final int EVENT_TIME_LENGTH = 8;

    private EventEntries() {}

    /** A cursor over the events of {@code frames}, skipping the indexes for which {@code isDone} holds. */
    public static EventCursor cursor(List<Frame> frames, IntPredicate isDone) {
        return new FrameCursor(frames.iterator(), isDone);
    }

    /**
     * A cursor over frames produced lazily (e.g. read one at a time from a chunk file), skipping the
     * indexes for which {@code isDone} holds. Each frame's buffer must stay valid until the cursor
     * has moved past it.
     */
    public static EventCursor cursor(Iterator<Frame> frames, IntPredicate isDone) {
        return new FrameCursor(frames, isDone);
    }

    /** Iterates frames' entries with one reused unpacker. Not thread-safe. */
    private static final class FrameCursor implements EventCursor {
        private final Iterator<Frame> frames;
        private final IntPredicate isDone;
        private MessageUnpacker unpacker;
        private Frame frame;
        private ByteBuffer source;
        private int base;
        private int remainingInFrame;
        private int index;
        private long epochSecond;
        private int nanos;
        private ByteBuffer record;
        private ByteBuffer entry;

        FrameCursor(Iterator<Frame> frames, IntPredicate isDone) {
            this.frames = frames;
            this.isDone = isDone;
        }

        @Override
        public boolean next() throws IOException {
            while (true) {
                while (frame == null || remainingInFrame == 0) {
                    if (!frames.hasNext()) {
                        frame = null;
                        return false;
                    }
                    openFrame(frames.next());
                }
                int start = Math.toIntExact(unpacker.getTotalReadBytes());
                readEntry();
                int end = Math.toIntExact(unpacker.getTotalReadBytes());
                index++;
                remainingInFrame--;
                if (isDone.test(index)) {
                    continue;
                }
                entry = slice(start, end);
                return true;
            }
        }

        private void openFrame(Frame next) throws IOException {
            frame = next;
            source = next.entries().duplicate();
            base = source.position();
            ByteBufferInput input = new ByteBufferInput(source.duplicate());
            if (unpacker == null) {
                unpacker = MessagePack.newDefaultUnpacker(input);
            } else {
                unpacker.reset(input);
            }
            remainingInFrame = next.eventCount();
            index = next.firstIndex() - 1;
        }

        private void readEntry() throws IOException {
            int arity = unpacker.unpackArrayHeader();
            if (arity != 2) {
                throw corrupt("entry: array of " + arity + " (expected: [time, record])");
            }
            readTime(true);
            int recordStart = Math.toIntExact(unpacker.getTotalReadBytes());
            if (unpacker.getNextFormat().getValueType() != ValueType.MAP) {
                throw corrupt("record: " + unpacker.getNextFormat() + " (expected: map)");
            }
            unpacker.skipValue();
            record = slice(recordStart, Math.toIntExact(unpacker.getTotalReadBytes()));
        }

        private void readTime(boolean allowMetadataPair) throws IOException {
            MessageFormat format = unpacker.getNextFormat();
            switch (format.getValueType()) {
                case INTEGER -> {
                    epochSecond = unpacker.unpackLong();
                    nanos = 0;
                }
                case FLOAT -> {
                    double seconds = unpacker.unpackDouble();
                    epochSecond = (long) Math.floor(seconds);
                    nanos = (int) Math.round((seconds - epochSecond) * 1_000_000_000d);
                    if (nanos >= 1_000_000_000) {
                        epochSecond++;
                        nanos -= 1_000_000_000;
                    }
                }
                case EXTENSION -> {
                    ExtensionTypeHeader header = unpacker.unpackExtensionTypeHeader();
                    if (header.getType() != EVENT_TIME_EXT_TYPE || header.getLength() != EVENT_TIME_LENGTH) {
                        throw corrupt("time: ext type " + header.getType() + " length " + header.getLength()
                                + " (expected: EventTime, ext type 0 length 8)");
                    }
                    byte[] payload = unpacker.readPayload(EVENT_TIME_LENGTH);
                    epochSecond = ((payload[0] & 0xFFL) << 24)
                            | ((payload[1] & 0xFFL) << 16)
                            | ((payload[2] & 0xFFL) << 8)
                            | (payload[3] & 0xFFL);
                    nanos = ((payload[4] & 0xFF) << 24)
                            | ((payload[5] & 0xFF) << 16)
                            | ((payload[6] & 0xFF) << 8)
                            | (payload[7] & 0xFF);
                }
                case ARRAY -> {
                    int arity = unpacker.unpackArrayHeader();
                    if (!allowMetadataPair || arity < 1) {
                        throw corrupt("time: array of " + arity + " (expected: integer, float or EventTime)");
                    }
                    readTime(false);
                    for (int i = 1; i < arity; i++) {
                        unpacker.skipValue();
                    }
                }
                default -> throw corrupt("time: " + format + " (expected: integer, float or EventTime)");
            }
        }

        private ByteBuffer slice(int from, int to) {
            ByteBuffer view = source.duplicate();
            view.limit(base + to).position(base + from);
            // Not asReadOnlyBuffer(): msgpack-core reads only array-backed or direct buffers, and a
            // read-only heap view is neither. Views over read-only sources (mapped chunk files) stay read-only.
            return view.slice();
        }

        private IOException corrupt(String what) {
            return new IOException("frame of tag " + frame.tag() + ", event " + (index + 1) + ": " + what);
        }

        @Override
        public int index() {
            return index;
        }

        @Override
        public String tag() {
            return frame.tag();
        }

        @Override
        public long epochSecond() {
            return epochSecond;
        }

        @Override
        public int nanos() {
            return nanos;
        }

        @Override
        public ByteBuffer record() {
            return record;
        }

        @Override
        public ByteBuffer entry() {
            return entry;
        }

        @Override
        public void close() {
            if (unpacker != null) {
                try {
                    unpacker.close();
                } catch (IOException ignored) {
                    // closing an in-memory unpacker does no I/O
                }
            }
        }
    }
}
