package org.kinesisaggregator.buffer;

import java.io.IOException;
import java.time.Instant;

/**
 * A read view of one chunk handed to an {@link Output}: events in append order, each with an index
 * that is stable across retries (0 .. {@link #eventCount()} - 1).
 *
 * <p>Valid until the write it was handed to completes. Thread-safe for reading: an output may open
 * several cursors.
 */
public interface Chunk {

    /** The chunk id, unique within the buffer, for logs (never a metric tag). */
    String id();

    /** All events of the chunk, delivered or not. */
    int eventCount();

    /** Size of the chunk's entries in bytes. */
    long sizeBytes();

    /** When the first event was appended. */
    Instant createdAt();

    /** How many writes of this chunk failed before this one (0 on the first attempt). */
    int retryCount();

    /** True when an earlier attempt delivered (or rejected) event {@code index}. */
    boolean isDone(int index);

    /**
     * The chunk-key values all its events share ({@code <buffer $.a.b, key>}), from which an output
     * resolves {@code ${$.a.b}} and {@code ${key}} placeholders; {@link ChunkMetadata#NONE} without
     * record chunk keys (and for chunks written before chunk format version 3).
     */
    default ChunkMetadata metadata() {
        return ChunkMetadata.NONE;
    }

    /** The events not yet delivered, in order. */
    EventCursor events() throws IOException;
}
