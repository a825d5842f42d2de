package org.kinesisaggregator.buffer.internal;

import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.kinesisaggregator.buffer.BufferCounters;
import org.kinesisaggregator.buffer.BufferStats;
import org.kinesisaggregator.buffer.internal.store.BufferLedger;

/**
 * The chunk table shared by the writer thread, the flush threads and {@code stats()}: staged chunks
 * by key, queued chunks by id (ids grow with time, so this is age order), the byte and
 * pending-event totals, and the flush threads' stop flags.
 *
 * <p>Invariants, under {@link #lock}: a chunk is in at most one of {@link #staged} and
 * {@link #queued}; {@link #totalBytes} counts the data of staged and queued chunks and of streamed
 * appends' private chunks; {@link #pendingEvents} counts the events of staged and queued chunks
 * that are not done yet (a streamed append's events count once it is published).
 *
 * <p>Thread-safe: every field below {@link #flushWork} is guarded by {@link #lock}. The writer
 * and flush threads hold it for short sections (the methods here are such sections); the ledger
 * record of a chunk being sealed is written under it, before any flush thread can take the chunk.
 */
public final class BufferState {
    public final ReentrantLock lock = new ReentrantLock();
    /** Signalled when a chunk becomes ready or the flush threads must stop. */
    public final Condition flushWork = lock.newCondition();
    // guarded by lock
    public final Map<String, ChunkHandle> staged = new LinkedHashMap<>();
    public final TreeMap<Long, ChunkHandle> queued = new TreeMap<>();
    public long totalBytes;
    public long pendingEvents;
    /** The flush threads return. */
    public boolean flushersStopping;
    /** flush_at_shutdown: the flush threads take every queued chunk once, whatever its retry time. */
    public boolean shutdownFlush;

    /** Stopped like a crash (tests): no sealing, write results ignored. Volatile, not guarded. */
    public volatile boolean halted;

    private final Clock clock;

    BufferState(Clock clock) {
        this.clock = clock;
    }

    /** Adds to the totals (negative values take back), in one section. */
    public void adjustTotals(long bytes, long events) {
        lock.lock();
        try {
            totalBytes += bytes;
            pendingEvents += events;
        } finally {
            lock.unlock();
        }
    }

    public ChunkHandle staged(String key) {
        lock.lock();
        try {
            return staged.get(key);
        } finally {
            lock.unlock();
        }
    }

    public void signalFlushWork() {
        lock.lock();
        try {
            flushWork.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Writes the record of every chunk held into {@code ledger}, replaced by an empty one, and commits;
     * returns how many chunks are held. A chunk in delivery is marked instead: the thread that owns
     * it records it when it lets it go ({@link #recordIfAsked}), since its fields change meanwhile.
     */
    public int recordHeldAgain(BufferLedger ledger) {
        lock.lock();
        try {
            int held = 0;
            for (ChunkHandle h : staged.values()) {
                ledger.put(h.record());
                held++;
            }
            for (ChunkHandle h : queued.values()) {
                if (h.inFlight) {
                    h.recordAgain = true;
                } else {
                    ledger.put(h.record());
                }
                held++;
            }
            ledger.commit();
            return held;
        } finally {
            lock.unlock();
        }
    }

    /**
     * With the lock held, as the owner of {@code h} clears its in-flight mark: records it when a ledger
     * replacement asked to meanwhile and it is still held.
     */
    public void recordIfAsked(ChunkHandle h, BufferLedger ledger) {
        if (!h.recordAgain) {
            return;
        }
        h.recordAgain = false;
        if (queued.get(h.chunk.id) != h) {
            return;
        }
        // A flush thread interrupted by close lets its chunk go with the flag set; the ledger's file
        // channel would be closed by an I/O call on an interrupted thread (breaking it for every
        // thread), so the flag is cleared for the write and set again after it.
        boolean interrupted = Thread.interrupted();
        try {
            ledger.persist(h.record(), h);
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** A queued chunk left the buffer (purged, or moved to failed/): forget it, free its bytes. */
    public void removeQueued(ChunkHandle h) {
        lock.lock();
        try {
            queued.remove(h.chunk.id);
            totalBytes -= h.chunk.dataBytes;
            flushWork.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** True while a queued chunk is in delivery or not yet tried at shutdown. Caller holds the lock. */
    boolean hasShutdownWork() {
        for (ChunkHandle h : queued.values()) {
            if (h.inFlight || !h.attemptedAtShutdown) {
                return true;
            }
        }
        return false;
    }

    public BufferStats stats() {
        lock.lock();
        try {
            long now = clock.millis();
            long oldest = Long.MAX_VALUE;
            long stagedBytes = 0;
            long queuedBytes = 0;
            ChunkHandle mostFailed = null;
            for (ChunkHandle h : staged.values()) {
                oldest = Math.min(oldest, h.chunk.createdAtEpochMillis);
                stagedBytes += h.chunk.dataBytes;
            }
            for (ChunkHandle h : queued.values()) {
                oldest = Math.min(oldest, h.chunk.createdAtEpochMillis);
                queuedBytes += h.chunk.dataBytes;
                if (h.retryCount > 0 && (mostFailed == null || h.retryCount > mostFailed.retryCount)) {
                    mostFailed = h;
                }
            }
            return new BufferStats(
                    staged.size(),
                    queued.size(),
                    totalBytes,
                    pendingEvents,
                    mostFailed == null ? 0 : mostFailed.retryCount,
                    oldest == Long.MAX_VALUE ? 0 : Math.max(0, now - oldest),
                    stagedBytes,
                    queuedBytes,
                    0,
                    mostFailed == null ? 0 : mostFailed.firstFailureEpochMillis,
                    mostFailed == null ? 0 : mostFailed.nextAttemptEpochMillis,
                    BufferCounters.ZERO);
        } finally {
            lock.unlock();
        }
    }
}
