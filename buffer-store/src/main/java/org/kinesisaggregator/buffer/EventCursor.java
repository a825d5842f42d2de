package org.kinesisaggregator.buffer;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Iterates events: {@code while (cursor.next()) { ... }}. The accessors describe the current event;
 * the buffers they return are views into the chunk, valid until the next call to {@link #next()};
 * callers must not modify them (over a mapped chunk file they are read-only).
 * Not thread-safe.
 */
public interface EventCursor extends AutoCloseable {

    /** Moves to the next event; false at the end. */
    boolean next() throws IOException;

    /** Index of the current event in its chunk. */
    int index();

    /** Tag of the current event. */
    String tag();

    /** Event time, seconds since the epoch. */
    long epochSecond();

    /** Event time, nanoseconds within the second (0 for integer times). */
    int nanos();

    /** The record: one msgpack map. */
    ByteBuffer record();

    /** The whole entry: the msgpack array {@code [time, record]}. */
    ByteBuffer entry();

    @Override
    default void close() {}
}
