package org.kinesisaggregator.buffer.internal.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import org.kinesisaggregator.buffer.Chunk;
import org.kinesisaggregator.buffer.ChunkMetadata;
import org.kinesisaggregator.buffer.ledger.Progress;

/**
 * A chunk's content: a file (file buffer) or frames in heap (memory buffer).
 *
 * <p>Writing methods ({@link #append}, {@link #truncateTo}, {@link #sync}, {@link #seal},
 * {@link #publish}) are confined to the buffer's writer thread until the chunk is sealed; after
 * that the chunk is immutable and {@link #view} may be called by any flush thread. The counters
 * are volatile so that {@code stats()} can read them from any thread.
 */
public abstract class StoredChunk {
    public final long id;
    public final long createdAtEpochMillis;
    /** The chunk-key values of every event in it (in the file header of a file chunk). */
    public final ChunkMetadata metadata;

    public volatile long dataBytes;
    public volatile int eventCount;

    StoredChunk(long id, long createdAtEpochMillis, ChunkMetadata metadata, long dataBytes, int eventCount) {
        this.id = id;
        this.metadata = metadata;
        this.createdAtEpochMillis = createdAtEpochMillis;
        this.dataBytes = dataBytes;
        this.eventCount = eventCount;
    }

    /**
     * Appends one frame: the encoded frame header with tag, then the entries. On failure nothing of
     * the frame remains (the file is cut back) and the exception is rethrown.
     */
    public abstract void append(ByteBuffer frameHeader, ByteBuffer entries, int events) throws IOException;

    /** Cuts the chunk back to an earlier size (rolling back an append that failed half way). */
    public abstract void truncateTo(long bytes, int events) throws IOException;

    /**
     * Writes what appends gathered in memory to the file (a file chunk gathers a round's small
     * frames: see {@link FileStoredChunk}); the group commit calls it for every dirty chunk before
     * it syncs or acks. A no-op for memory chunks and when nothing is gathered.
     */
    public void writePending() throws IOException {}

    /** True for a streamed append's chunk not yet published (its events are not in the totals yet). */
    public boolean isPrivate() {
        return false;
    }

    /** Makes every append so far durable (fsync, after {@link #writePending}); a no-op when nothing changed. */
    public abstract void sync() throws IOException;

    /** True when appends happened since the last {@link #sync}. */
    public abstract boolean isDirty();

    /** Data bytes appended since the last successful {@link #sync} (0 for memory chunks). */
    public abstract long unsyncedBytes();

    /** Events appended since the last successful {@link #sync} (0 for memory chunks). */
    public abstract int unsyncedEvents();

    /** True when the file was found shorter than what was synced: the chunk takes no more appends. */
    public abstract boolean hasLostTail();

    /**
     * After the file was found shorter than what was synced ({@link #hasLostTail}): closes the
     * write handle, re-validates the frames on disk as recovery does and sets the counters to what
     * validates. The chunk takes no more appends; the caller seals it.
     */
    public abstract void revalidate() throws IOException;

    /**
     * After a failed fsync: what was appended since the last successful sync counts as lost. The
     * chunk (counters first, then the file) is cut back to the synced length; the caller seals it.
     * Throws when the file could not be cut (the counters are cut all the same).
     */
    public abstract void cutToSynced() throws IOException;

    /** No more appends: syncs and releases the write handle. Idempotent. */
    public abstract void seal() throws IOException;

    /** Makes a streamed append's private chunk a normal one (rename). */
    public abstract void publish() throws IOException;

    /** A read view for an output; the events done in {@code progress} are skipped. */
    public abstract Chunk view(Progress progress, int retryCount);

    /** Removes the content. Idempotent. */
    public abstract void delete() throws IOException;

    /** For logs: the file, or "memory chunk X". */
    public abstract String describe();
}
