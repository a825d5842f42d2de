package org.kinesisaggregator.buffer.ledger;

import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** The ledger of a memory buffer: the same bookkeeping, gone with the process. Thread-safe. */
public final class InMemoryLedger implements Ledger {
    private final Map<Long, ChunkRecord> chunks = new ConcurrentHashMap<>();
    private final Map<ByteBuffer, Long> dedup = new ConcurrentHashMap<>();

    @Override
    public Map<Long, ChunkRecord> chunks() {
        return new HashMap<>(chunks);
    }

    @Override
    public void put(ChunkRecord record) {
        chunks.put(record.chunkId(), record);
    }

    @Override
    public void remove(long chunkId) {
        chunks.remove(chunkId);
    }

    @Override
    public Map<ByteBuffer, Long> dedupKeys() {
        return new HashMap<>(dedup);
    }

    @Override
    public void putDedupKey(byte[] key, long seenAtEpochMillis) {
        dedup.put(ByteBuffer.wrap(key.clone()).asReadOnlyBuffer(), seenAtEpochMillis);
    }

    @Override
    public void removeDedupKey(byte[] key) {
        dedup.remove(ByteBuffer.wrap(key));
    }

    @Override
    public void commit() {}

    @Override
    public void close() {}
}
