package org.kinesisaggregator.buffer.internal;

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
final class ChunkHandle {
    final StoredChunk chunk;
    /** The staged chunk's key ({@code chunk_keys}): the tag, or "" for one staged chunk. */
    final String key;

    ChunkState state;
    Progress progress = Progress.NONE;
    int retryCount;
    long nextAttemptEpochMillis;
    long firstFailureEpochMillis;
    boolean inFlight;
    boolean useSecondary;
    boolean attemptedAtShutdown;

    ChunkHandle(StoredChunk chunk, String key) {
        this.chunk = chunk;
        this.key = key;
    }

    int pendingEvents() {
        return chunk.eventCount - progress.doneCount();
    }

    ChunkRecord record() {
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
