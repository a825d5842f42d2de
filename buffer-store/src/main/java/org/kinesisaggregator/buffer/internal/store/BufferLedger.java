package org.kinesisaggregator.buffer.internal.store;

import java.nio.ByteBuffer;
import java.util.Map;
import org.kinesisaggregator.buffer.internal.BufferEngine;
import org.kinesisaggregator.buffer.internal.ChunkHandle;
import org.kinesisaggregator.buffer.ledger.ChunkRecord;
import org.kinesisaggregator.buffer.ledger.Ledger;
import org.slf4j.Logger;

/**
 * The buffer's ledger: every {@link Ledger} call passes through, and two rules for failures are
 * added. The chunk files are the truth for content, so a lost ledger update costs at most a
 * re-delivery after a crash: {@link #tryUpdate} runs an update whose failure must not stop the
 * buffer, {@link #persist} records a chunk and commits; both log a failure and go on.
 *
 * <p>Thread-safe (the ledger is): the writer and the flush threads share it.
 */
public final class BufferLedger implements Ledger {
    private static final Logger log = BufferEngine.ENGINE_LOG;

    private final Ledger ledger;
    private final String outputId;

    public BufferLedger(Ledger ledger, String outputId) {
        this.ledger = ledger;
        this.outputId = outputId;
    }

    /**
     * Runs a ledger update whose failure must not stop the buffer: the chunk files are the truth for
     * content, so a lost ledger update costs at most a re-delivery after a crash. Logged, returns false.
     */
    public boolean tryUpdate(Runnable update, String what) {
        try {
            update.run();
            return true;
        } catch (RuntimeException e) {
            log.error(
                    "Buffer of output {}: ledger update failed ({}): {}; continuing (a crash now may re-deliver events)",
                    outputId,
                    what,
                    e.toString());
            return false;
        }
    }

    /** Puts {@code record} (of {@code h}) and commits; a failure is logged. */
    public void persist(ChunkRecord record, ChunkHandle h) {
        try {
            ledger.put(record);
            ledger.commit();
        } catch (RuntimeException e) {
            log.error(
                    "Buffer of output {}: recording the progress of chunk {} failed: {}; it may be delivered again",
                    outputId,
                    h.chunk.describe(),
                    e.toString());
        }
    }

    @Override
    public Map<Long, ChunkRecord> chunks() {
        return ledger.chunks();
    }

    @Override
    public void put(ChunkRecord record) {
        ledger.put(record);
    }

    @Override
    public void remove(long chunkId) {
        ledger.remove(chunkId);
    }

    @Override
    public Map<ByteBuffer, Long> dedupKeys() {
        return ledger.dedupKeys();
    }

    @Override
    public void putDedupKey(byte[] key, long seenAtEpochMillis) {
        ledger.putDedupKey(key, seenAtEpochMillis);
    }

    @Override
    public void removeDedupKey(byte[] key) {
        ledger.removeDedupKey(key);
    }

    @Override
    public void commit() {
        ledger.commit();
    }

    @Override
    public void close() {
        ledger.close();
    }
}
