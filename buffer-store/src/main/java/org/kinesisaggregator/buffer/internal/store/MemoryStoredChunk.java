package org.kinesisaggregator.buffer.internal.store;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import org.kinesisaggregator.buffer.Chunk;
import org.kinesisaggregator.buffer.ChunkMetadata;
import org.kinesisaggregator.buffer.Frame;
import org.kinesisaggregator.buffer.InMemoryChunk;
import org.kinesisaggregator.buffer.file.ChunkFileFormat;
import org.kinesisaggregator.buffer.ledger.Progress;

/**
 * A memory buffer's chunk: copies of the appended entries, one {@link Frame} per append. Writer
 * thread until sealed, then read-only (see {@link StoredChunk}).
 */
final class MemoryStoredChunk extends StoredChunk {
    private final List<Frame> frames = new ArrayList<>();

    MemoryStoredChunk(long id, long createdAtEpochMillis, ChunkMetadata metadata) {
        super(id, createdAtEpochMillis, metadata, 0, 0);
    }

    @Override
    public void append(ByteBuffer frameHeader, ByteBuffer entries, int events) {
        ByteBuffer h = frameHeader.duplicate();
        h.position(ChunkFileFormat.FRAME_HEADER_BYTES);
        String tag = StandardCharsets.UTF_8.decode(h).toString();
        // Direct, so that outputs can read the read-only views EventCursor hands out with msgpack-core
        // (which reads read-only buffers only when they are direct), as they do for mapped chunk files.
        ByteBuffer copy = ByteBuffer.allocateDirect(entries.remaining());
        copy.put(entries.duplicate()).flip();
        frames.add(new Frame(tag, copy.asReadOnlyBuffer(), events, eventCount));
        dataBytes += frameHeader.remaining() + entries.remaining();
        eventCount += events;
    }

    @Override
    public void truncateTo(long bytes, int events) {
        while (eventCount > events && !frames.isEmpty()) {
            Frame last = frames.remove(frames.size() - 1);
            eventCount -= last.eventCount();
            dataBytes -= ChunkFileFormat.frameBytes(
                    last.tag().getBytes(StandardCharsets.UTF_8).length,
                    last.entries().remaining());
        }
    }

    @Override
    public void sync() {}

    @Override
    public boolean isDirty() {
        return false;
    }

    @Override
    public long unsyncedBytes() {
        return 0;
    }

    @Override
    public int unsyncedEvents() {
        return 0;
    }

    @Override
    public boolean hasLostTail() {
        return false;
    }

    @Override
    public void cutToSynced() {}

    @Override
    public void revalidate() {}

    @Override
    public void seal() {}

    @Override
    public void publish() {}

    List<Frame> frames() {
        return frames;
    }

    @Override
    public Chunk view(Progress progress, int retryCount) {
        InMemoryChunk chunk = new InMemoryChunk(
                ChunkFileFormat.idToString(id), List.copyOf(frames), Instant.ofEpochMilli(createdAtEpochMillis));
        BitSet done = progress.toBitSet();
        for (int i = done.nextSetBit(0); i >= 0; i = done.nextSetBit(i + 1)) {
            chunk.markDone(i);
        }
        chunk.setRetryCount(retryCount);
        chunk.setMetadata(metadata);
        return chunk;
    }

    @Override
    public void delete() {
        frames.clear();
    }

    @Override
    public String describe() {
        return "memory chunk " + ChunkFileFormat.idToString(id);
    }
}
