package org.kinesisaggregator.buffer.ledger;

import java.nio.ByteBuffer;
import java.util.Map;

/**
 * The buffer's bookkeeping: one {@link ChunkRecord} per chunk, and the dedup keys (digests of
 * recently stored forwarder chunk ids, tags and entries) with when they were seen. Changes become durable at {@link #commit()}
 * (all changes made since the previous commit, by any thread, together).
 *
 * <p>The chunk files are the truth for content; the ledger is the truth for state, retry timing
 * and delivery progress. Thread-safe: the writer thread and the flush threads share one ledger.
 */
public interface Ledger extends AutoCloseable {

    /** A copy of every chunk record. */
    Map<Long, ChunkRecord> chunks();

    void put(ChunkRecord record);

    void remove(long chunkId);

    /** A copy of every dedup key (read-only buffers) and when it was seen. */
    Map<ByteBuffer, Long> dedupKeys();

    void putDedupKey(byte[] key, long seenAtEpochMillis);

    void removeDedupKey(byte[] key);

    /** Makes every change since the last commit durable. */
    void commit();

    /**
     * How many times the store was replaced by an empty one since open (0 when never): when it
     * changes, a caller that holds records the ledger should list writes them again.
     */
    default int generation() {
        return 0;
    }

    @Override
    void close();
}
