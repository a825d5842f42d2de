package org.kinesisaggregator.buffer.internal.store;

import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.ToIntFunction;
import org.kinesisaggregator.buffer.internal.BufferEngine;
import org.kinesisaggregator.buffer.internal.ChunkHandle;
import org.kinesisaggregator.buffer.ledger.ChunkRecord;
import org.kinesisaggregator.buffer.ledger.Ledger;
import org.slf4j.Logger;

/**
 * The buffer's ledger: every {@link Ledger} call passes through, and two rules for failures are
 * added. The chunk files are the truth for content, so a lost ledger update costs at most a
 * re-delivery after a crash: {@link #tryUpdate} runs an update whose failure must not stop the
 * buffer, {@link #persist} records a chunk and commits; both log a failure and go on. When the
 * ledger was replaced by an empty one ({@link Ledger#generation()} changed), the next call that
 * sees it records every chunk the buffer holds again, so that a restart finds their state, retry
 * timing and delivery progress.
 *
 * <p>Thread-safe (the ledger is): the writer and the flush threads share it.
 */
public final class BufferLedger implements Ledger {
    private static final Logger log = BufferEngine.ENGINE_LOG;

    private final Ledger ledger;
    private final String outputId;
    private final ToIntFunction<BufferLedger> recordHeld;
    /** The ledger's generation the held chunks were last recorded in. */
    private final AtomicInteger recorded;

    public BufferLedger(Ledger ledger, String outputId) {
        this(ledger, outputId, l -> 0);
    }

    /**
     * With {@code recordHeld} writing the record of every chunk the buffer holds into the ledger it
     * is given (and committing), returning how many: run after a replacement.
     */
    public BufferLedger(Ledger ledger, String outputId, ToIntFunction<BufferLedger> recordHeld) {
        this.ledger = ledger;
        this.outputId = outputId;
        this.recordHeld = recordHeld;
        this.recorded = new AtomicInteger(ledger.generation());
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
            put(record);
            commit();
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
        try {
            return ledger.chunks();
        } finally {
            recordHeldIfReplaced();
        }
    }

    @Override
    public void put(ChunkRecord record) {
        try {
            ledger.put(record);
        } finally {
            recordHeldIfReplaced();
        }
    }

    @Override
    public void remove(long chunkId) {
        try {
            ledger.remove(chunkId);
        } finally {
            recordHeldIfReplaced();
        }
    }

    @Override
    public Map<ByteBuffer, Long> dedupKeys() {
        try {
            return ledger.dedupKeys();
        } finally {
            recordHeldIfReplaced();
        }
    }

    @Override
    public void putDedupKey(byte[] key, long seenAtEpochMillis) {
        try {
            ledger.putDedupKey(key, seenAtEpochMillis);
        } finally {
            recordHeldIfReplaced();
        }
    }

    @Override
    public void removeDedupKey(byte[] key) {
        try {
            ledger.removeDedupKey(key);
        } finally {
            recordHeldIfReplaced();
        }
    }

    @Override
    public void commit() {
        try {
            ledger.commit();
        } finally {
            recordHeldIfReplaced();
        }
    }

    @Override
    public int generation() {
        return ledger.generation();
    }

    /**
     * The ledger generation the held chunks were last recorded in: it changes once a call saw a
     * replacement. Lock-free, for the writer thread to check on its rounds.
     */
    public int recordedGeneration() {
        return recorded.get();
    }

    /**
     * After the ledger was replaced by an empty one: the held chunks are recorded in it again, once
     * per replacement (by the thread whose call saw it first); a failure is logged and the next call
     * tries again.
     */
    private void recordHeldIfReplaced() {
        int now = ledger.generation();
        int seen = recorded.get();
        if (now == seen || !recorded.compareAndSet(seen, now)) {
            return;
        }
        try {
            int chunks = recordHeld.applyAsInt(this);
            log.warn(
                    "Buffer of output {}: the ledger was replaced by an empty one; recorded the {} chunks held again",
                    outputId,
                    chunks);
        } catch (RuntimeException e) {
            recorded.compareAndSet(now, seen);
            log.error(
                    "Buffer of output {}: recording the held chunks in the replaced ledger failed: {}; "
                            + "tried again at the next ledger update",
                    outputId,
                    e.toString());
        }
    }

    @Override
    public void close() {
        ledger.close();
    }
}
