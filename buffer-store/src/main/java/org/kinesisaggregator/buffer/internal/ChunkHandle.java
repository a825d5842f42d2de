package org.kinesisaggregator.buffer.internal;

import org.kinesisaggregator.buffer.internal.store.StoredChunk;
import org.kinesisaggregator.buffer.ledger.ChunkRecord;
import org.kinesisaggregator.buffer.ledger.ChunkState;
import org.kinesisaggregator.buffer.ledger.Progress;

/**
 * A chunk the buffer knows: its content ({@link StoredChunk}), its state and its delivery
 * bookkeeping (progress, retries, whether a flush thread has it).
 *
 * <p>Fields are guarded by {@link BufferState#lock}, except while a thread owns the chunk: the
 * writer thread while it is staged, and the flush thread (or, for drop_oldest_chunk, the writer
 * thread) that set {@link #inFlight} until it clears it.
 */
public final class ChunkHandle {
    public final StoredChunk chunk;
    /** The staged chunk's key ({@code chunk_keys}): the tag, or "" for one staged chunk. */
    public final String key;

    public ChunkState state;
    public Progress progress = Progress.NONE;
    public int retryCount;
    public long nextAttemptEpochMillis;
    public long firstFailureEpochMillis;
    public boolean inFlight;
    public boolean useSecondary;
    public boolean attemptedAtShutdown;
    /** The ledger was replaced while this chunk was in flight: its owner records it when done. */
    public boolean recordAgain;

    public ChunkHandle(StoredChunk chunk, String key) {
        this.chunk = chunk;
        this.key = key;
    }

    public int pendingEvents() {
        return chunk.eventCount - progress.doneCount();
    }

    public ChunkRecord record() {
        return new ChunkRecord(
                chunk.id,
                state,
                chunk.createdAtEpochMillis,
                chunk.dataBytes,
                chunk.eventCount,
                retryCount,
                nextAttemptEpochMillis,
                firstFailureEpochMillis,
                progress);
    }
}
