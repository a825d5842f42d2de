package org.kinesisaggregator.buffer.internal.write;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import org.kinesisaggregator.buffer.BufferException;
import org.kinesisaggregator.buffer.BufferSettings;
import org.kinesisaggregator.buffer.ChunkMetadata;
import org.kinesisaggregator.buffer.EventTooLargeException;
import org.kinesisaggregator.buffer.file.ChunkFileFormat;
import org.kinesisaggregator.buffer.internal.BufferEngine;
import org.kinesisaggregator.buffer.internal.BufferState;
import org.kinesisaggregator.buffer.internal.dedup.DedupKey;
import org.kinesisaggregator.buffer.internal.store.ChunkStore;
import org.kinesisaggregator.buffer.internal.store.StorageHealth;
import org.kinesisaggregator.buffer.internal.store.StoredChunk;
import org.msgpack.core.MessagePack;
import org.msgpack.core.MessageUnpacker;
import org.msgpack.core.buffer.ByteBufferInput;
import org.slf4j.Logger;

/**
 * Writes an append's events into chunks as frames: one frame when they fit the target's current
 * chunk, else split at event boundaries over as many chunks as {@code chunk_limit_size} and
 * {@code chunk_limit_records} need (one event larger than a chunk is refused). A chunk that is full
 * ({@code chunk_full_threshold}), or every staged chunk under {@code flush_mode immediate}, is
 * rolled over after the append. Also hands out chunk ids: {@code max(last + 1, millis << 12)}, so
 * ids grow with time and name order is age order.
 *
 * <p>Invariant: all or nothing. When any frame of an append fails, every chunk it touched is cut
 * back to where it was and the totals are taken back, so nothing of the append will be delivered.
 *
 * <p>Not thread-safe: confined to the writer thread ({@link #noteExisting} runs before it starts).
 */
public final class FrameWriter {
    private static final Logger log = BufferEngine.ENGINE_LOG;
    /** Where an append's frames go: the staged chunk of its key, or a stream's private chunks. */
    interface Target {
        /** The chunk to write to now; one is created when there is none. */
        StoredChunk current() throws IOException;

        /** The chunk to write to now, or null when there is none (nothing is created). */
        StoredChunk currentIfAny();

        /** The current chunk takes no more frames; the next {@link #current()} is a new one. */
        void rollover();

        /** True when every append seals its chunk (staged chunks under {@code flush_mode immediate}). */
        boolean sealsEveryAppend();
    }

    private final String outputId;
    private final BufferSettings settings;
    private final Clock clock;
    private final ChunkStore store;
    private final BufferState state;
    private final StorageHealth health;
    private long lastChunkId;

    public FrameWriter(
            String outputId,
            BufferSettings settings,
            Clock clock,
            ChunkStore store,
            BufferState state,
            StorageHealth health) {
        this.outputId = outputId;
        this.settings = settings;
        this.clock = clock;
        this.store = store;
        this.state = state;
        this.health = health;
    }

    /** Refuses entries that cannot hold {@code eventCount} events (a bug in the caller). */
    static void checkEntries(ByteBuffer entries, int eventCount, String tag) {
        if (eventCount < 0 || entries.remaining() < 2 * eventCount) {
            throw new BufferException("append of tag " + tag + ": " + eventCount + " events in " + entries.remaining()
                    + " bytes (expected: eventCount >= 0 and at least 2 bytes per event); a bug in the caller");
        }
    }

    /** The exception an append fails with when its write failed. */
    BufferException ioFailure(IOException e) {
        health.failed(e.toString());
        String where = settings.path() == null ? "memory" : settings.path().toString();
        return new BufferException(
                "append to buffer " + where + " of output " + outputId + " failed: " + e
                        + "; nothing of it was stored (check free disk space and the disk), the forwarder will re-send",
                e);
    }

    /** An append reached the storage (its futures complete normally): the storage is healthy again. */
    void stored() {
        health.stored();
    }

    /** A new chunk for a staged target or a stream ({@code isPrivate}), with the next id. */
    StoredChunk newChunk(ChunkMetadata metadata, boolean isPrivate) throws IOException {
        long id = nextChunkId();
        return store.create(id, clock.millis(), metadata, isPrivate);
    }

    /** A chunk found at start-up: new ids are larger. Called before the writer thread starts. */
    public void noteExisting(long chunkId) {
        lastChunkId = Math.max(lastChunkId, chunkId);
    }

    private long nextChunkId() {
        lastChunkId = Math.max(lastChunkId + 1, clock.millis() << 12);
        return lastChunkId;
    }

    private boolean fits(StoredChunk c, long frameBytes, long events) {
        return c.dataBytes + frameBytes <= settings.chunkLimitBytes()
                && (settings.chunkLimitRecords() == 0 || c.eventCount + events <= settings.chunkLimitRecords());
    }

    private boolean fitsEmpty(long frameBytes, long events) {
        return frameBytes <= settings.chunkLimitBytes()
                && (settings.chunkLimitRecords() == 0 || events <= settings.chunkLimitRecords());
    }

    /** {@link #write(String, byte[], ByteBuffer, int, Target, CommitBatch, long, DedupKey)} without a dedup key. */
    void write(String tag, byte[] tagBytes, ByteBuffer entries, int count, Target target, CommitBatch batch)
            throws IOException {
        write(tag, tagBytes, entries, count, target, batch, 0, null);
    }

    /**
     * Writes the events as one frame when they fit, else split at event boundaries over as many
     * chunks as needed. All or nothing: on failure every chunk touched is cut back. Each frame
     * carries {@code storedAtEpochMillis}; the one frame of an append that fits carries
     * {@code key} too (a split append's frames carry none: recovery must not rebuild a key from one
     * frame of several). Returns true when {@code key} (non-null) was written into the frame.
     */
    boolean write(
            String tag,
            byte[] tagBytes,
            ByteBuffer entries,
            int count,
            Target target,
            CommitBatch batch,
            long storedAtEpochMillis,
            DedupKey key)
            throws IOException {
        boolean keyInFrame = false;
        long frameBytes = ChunkFileFormat.frameBytes(tagBytes.length, entries.remaining());
        List<Object[]> undo = new ArrayList<>();
        long bytesBefore = batch.bytes;
        long eventsBefore = batch.events;
        try {
            StoredChunk c = target.current();
            if (fits(c, frameBytes, count)) {
                writeFrame(c, tagBytes, entries, count, undo, batch, storedAtEpochMillis, key);
                keyInFrame = key != null;
            } else if (fitsEmpty(frameBytes, count)) {
                if (c.eventCount > 0) {
                    target.rollover();
                    c = target.current();
                }
                writeFrame(c, tagBytes, entries, count, undo, batch, storedAtEpochMillis, key);
                keyInFrame = key != null;
            } else {
                int[] ends = eventEnds(entries, count, tag);
                int start = 0;
                for (int i = 0; i < count; i++) {
                    long one = ChunkFileFormat.frameBytes(tagBytes.length, ends[i] - (i == 0 ? 0 : ends[i - 1]));
                    if (one > settings.chunkLimitBytes()) {
                        throw new EventTooLargeException(tag, one, settings.chunkLimitBytes());
                    }
                }
                int i = 0;
                while (i < count) {
                    c = target.current();
                    int j = i;
                    while (j < count
                            && fits(c, ChunkFileFormat.frameBytes(tagBytes.length, ends[j] - start), j - i + 1L)) {
                        j++;
                    }
                    if (j == i) {
                        target.rollover();
                        continue;
                    }
                    ByteBuffer part = entries.duplicate();
                    part.limit(entries.position() + ends[j - 1]).position(entries.position() + start);
                    writeFrame(c, tagBytes, part.slice(), j - i, undo, batch, storedAtEpochMillis, null);
                    start = ends[j - 1];
                    i = j;
                    if (i < count) {
                        target.rollover();
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            for (int k = undo.size() - 1; k >= 0; k--) {
                StoredChunk c = (StoredChunk) undo.get(k)[0];
                try {
                    c.truncateTo((Long) undo.get(k)[1], (Integer) undo.get(k)[2]);
                } catch (IOException cut) {
                    e.addSuppressed(cut);
                }
            }
            state.adjustTotals(-(batch.bytes - bytesBefore), batch.privateWrite ? 0 : -(batch.events - eventsBefore));
            batch.bytes = bytesBefore;
            batch.events = eventsBefore;
            StoredChunk current = target.currentIfAny();
            if (current != null && current.hasLostTail()) {
                sealWhatTheDiskKept(current, target, e);
            }
            throw e;
        }
        // seal what is full, or everything under flush_mode immediate
        StoredChunk last = target.currentIfAny();
        if (last != null && (target.sealsEveryAppend() || isFull(last))) {
            target.rollover();
        }
        return keyInFrame;
    }

    /**
     * The chunk file is shorter than what was synced: the disk lost data. The chunk is re-validated
     * (counters and totals set to the frames that are still whole), sealed, and later appends go
     * to a new chunk instead of past the hole.
     */
    private void sealWhatTheDiskKept(StoredChunk c, Target target, Exception e) {
        long bytes = c.dataBytes;
        int events = c.eventCount;
        try {
            c.revalidate();
        } catch (IOException | RuntimeException revalidation) {
            e.addSuppressed(revalidation);
        }
        state.adjustTotals(c.dataBytes - bytes, c.eventCount - events);
        log.error(
                "Buffer of output {}: {}; {} events of it that were synced (and acked) are lost on the disk; "
                        + "it is sealed with the {} events that validate, new appends go to a new chunk. "
                        + "Check the disk (kernel log, SMART).",
                outputId,
                e.getMessage(),
                events - c.eventCount,
                c.eventCount);
        target.rollover();
    }

    private boolean isFull(StoredChunk c) {
        double t = settings.chunkFullThreshold();
        return c.dataBytes >= settings.chunkLimitBytes() * t
                || (settings.chunkLimitRecords() > 0 && c.eventCount >= settings.chunkLimitRecords() * t);
    }

    private void writeFrame(
            StoredChunk c,
            byte[] tagBytes,
            ByteBuffer entries,
            int count,
            List<Object[]> undo,
            CommitBatch batch,
            long storedAtEpochMillis,
            DedupKey key)
            throws IOException {
        undo.add(new Object[] {c, c.dataBytes, c.eventCount});
        ByteBuffer header = ChunkFileFormat.encodeFrameHeader(
                tagBytes, entries, count, storedAtEpochMillis, key == null ? 0 : key.hi(), key == null ? 0 : key.lo());
        long before = c.dataBytes;
        c.append(header, entries, count);
        long written = c.dataBytes - before;
        batch.bytes += written;
        batch.events += count;
        batch.dirty.add(c);
        state.adjustTotals(written, batch.privateWrite ? 0 : count);
    }

    /** Byte offsets (relative to the position) where each of the {@code count} entries ends. */
    private static int[] eventEnds(ByteBuffer entries, int count, String tag) throws IOException {
        int[] ends = new int[count];
        try (MessageUnpacker u = MessagePack.newDefaultUnpacker(new ByteBufferInput(entries.duplicate()))) {
            for (int i = 0; i < count; i++) {
                if (!u.hasNext()) {
                    throw new BufferException(
                            "append of tag " + tag + ": entries hold " + i + " events (expected: " + count + ")");
                }
                u.skipValue();
                ends[i] = Math.toIntExact(u.getTotalReadBytes());
            }
        }
        return ends;
    }
}
