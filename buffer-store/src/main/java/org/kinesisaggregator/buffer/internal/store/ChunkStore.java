package org.kinesisaggregator.buffer.internal.store;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.kinesisaggregator.buffer.Chunk;
import org.kinesisaggregator.buffer.ChunkMetadata;
import org.kinesisaggregator.buffer.file.ChunkRecovery;
import org.kinesisaggregator.buffer.internal.BufferEngine;
import org.kinesisaggregator.buffer.internal.BufferMetrics;
import org.kinesisaggregator.buffer.ledger.ChunkRecord;
import org.kinesisaggregator.buffer.ledger.Ledger;

/**
 * Where a buffer's chunks live: files in the buffer directory with a MapDB ledger, or the heap.
 * Opened and recovered by {@link BufferEngine#start()} on the starting thread; afterwards
 * {@link #create} and {@link #syncDirectory} are called by the writer thread only, the failed-chunk
 * methods by the writer and flush threads (they are thread-safe).
 */
public interface ChunkStore extends AutoCloseable {

    /** {@code file} or {@code memory}: the metrics' {@code type} tag. */
    String type();

    /**
     * Locks and opens the store; returns what was recovered, oldest first. The dedup keys of the
     * recovered chunks' valid frames go to {@code keys}.
     */
    List<Recovered> open(BufferMetrics metrics, ChunkRecovery.FrameKeys keys) throws IOException;

    Ledger ledger();

    /** A new, empty chunk. Private chunks (streamed appends) are invisible to recovery until published. */
    StoredChunk create(long id, long createdAtEpochMillis, ChunkMetadata metadata, boolean isPrivate)
            throws IOException;

    /** Makes file creations and renames durable (fsync of the directory). */
    void syncDirectory() throws IOException;

    /** True when the store can keep what must be set aside ({@code failed/}). */
    boolean hasFailedDir();

    /** Moves a whole chunk, untouched, to {@code failed/}, with a reason file. */
    String moveToFailed(StoredChunk chunk, String outputId, String reason) throws IOException;

    /**
     * Writes the events of {@code view} that are not done (in its progress) to a new chunk file in
     * {@code failed/}, with a reason file; returns the file written, or null when there was nothing.
     */
    String writeToFailed(Chunk view, String outputId, String reason, Map<Integer, String> reasons) throws IOException;

    @Override
    void close();

    /** A chunk found at start-up, with its ledger record (state queued). */
    record Recovered(StoredChunk chunk, ChunkRecord record) {}
}
