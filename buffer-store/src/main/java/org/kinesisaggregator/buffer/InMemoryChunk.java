package org.kinesisaggregator.buffer;

import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.BitSet;
import java.util.List;
import java.util.Objects;

/**
 * A chunk held in memory: the frames given at construction, and which events are done. Used by
 * the memory buffer, by unbuffered outputs (one append handed straight to an {@link Output}) and
 * by tests.
 *
 * <p>The frames' buffers must stay unchanged while the chunk is in use. {@link #isDone} and
 * {@link #markDone} are not synchronized: one flush thread owns a chunk at a time.
 */
public final class InMemoryChunk implements Chunk {
    private final String id;
    private final List<Frame> frames;
    private final int eventCount;
    private final long sizeBytes;
    private final Instant createdAt;
    private final BitSet done = new BitSet();
    private int retryCount;
    private ChunkMetadata metadata = ChunkMetadata.NONE;

    public InMemoryChunk(String id, List<Frame> frames, Instant createdAt) {
        this.id = Objects.requireNonNull(id, "id");
        this.frames = List.copyOf(frames);
        this.createdAt = Objects.requireNonNull(createdAt, "createdAt");
        int events = 0;
        long bytes = 0;
        for (Frame frame : this.frames) {
            if (frame.firstIndex() != events) {
                throw new IllegalArgumentException(
                        "frame firstIndex: " + frame.firstIndex() + " (expected: " + events + ")");
            }
            events += frame.eventCount();
            bytes += frame.entries().remaining();
        }
        this.eventCount = events;
        this.sizeBytes = bytes;
    }

    /** A chunk of one frame. */
    public static InMemoryChunk of(String id, String tag, ByteBuffer entries, int eventCount, Instant createdAt) {
        return new InMemoryChunk(id, List.of(new Frame(tag, entries, eventCount, 0)), createdAt);
    }

    @Override
    public ChunkMetadata metadata() {
        return metadata;
    }

    /** Sets the chunk-key values of its events (the memory buffer's chunks, tests). */
    public void setMetadata(ChunkMetadata metadata) {
        this.metadata = Objects.requireNonNull(metadata, "metadata");
    }

    public List<Frame> frames() {
        return frames;
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public int eventCount() {
        return eventCount;
    }

    @Override
    public long sizeBytes() {
        return sizeBytes;
    }

    @Override
    public Instant createdAt() {
        return createdAt;
    }

    @Override
    public int retryCount() {
        return retryCount;
    }

    public void setRetryCount(int retryCount) {
        this.retryCount = retryCount;
    }

    @Override
    public boolean isDone(int index) {
        return done.get(index);
    }

    /** Marks {@code index} done (delivered or rejected). */
    public void markDone(int index) {
        done.set(index);
    }

    /** Applies a write's result: delivered and rejected events become done. Returns how many are still pending. */
    public int apply(WriteResult result) {
        if (result.isAllDelivered()) {
            done.set(0, eventCount);
        } else {
            done.or(result.delivered());
            result.rejected().keySet().forEach(done::set);
        }
        return eventCount - done.cardinality();
    }

    @Override
    public EventCursor events() {
        return EventEntries.cursor(frames, done::get);
    }

    @Override
    public String toString() {
        return "InMemoryChunk[" + id + ", events=" + eventCount + ", bytes=" + sizeBytes + "]";
    }
}
