package org.kinesisaggregator.buffer.internal.delivery;

import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.util.BitSet;
import java.util.Map;
import java.util.TreeMap;
import org.kinesisaggregator.buffer.BufferSettings;
import org.kinesisaggregator.buffer.BufferSettings.OverflowAction;
import org.kinesisaggregator.buffer.Chunk;
import org.kinesisaggregator.buffer.Output;
import org.kinesisaggregator.buffer.WriteResult;
import org.kinesisaggregator.buffer.file.ChunkFileFormat;
import org.kinesisaggregator.buffer.internal.BufferEngine;
import org.kinesisaggregator.buffer.internal.BufferMetrics;
import org.kinesisaggregator.buffer.internal.BufferState;
import org.kinesisaggregator.buffer.internal.ChunkHandle;
import org.kinesisaggregator.buffer.internal.store.BufferLedger;
import org.kinesisaggregator.buffer.internal.store.ChunkStore;
import org.kinesisaggregator.buffer.internal.store.FileStoredChunk;
import org.kinesisaggregator.buffer.ledger.ChunkState;
import org.kinesisaggregator.buffer.ledger.Progress;
import org.slf4j.Logger;

/**
 * Takes chunks and events out of the buffer: purges a chunk whose events are all done, hands
 * rejected events and the events of a chunk whose retries ran out to the secondary output (if it
 * has not had them) or to {@code failed/}, and sets aside the chunk drop_oldest_chunk picked.
 * Nothing leaves silently: each step is logged and counted.
 *
 * <p>Order: the ledger first, then the file. A purge records the chunk {@code DELIVERED} and
 * commits, then deletes the file, then drops the record; a chunk moved to {@code failed/} as it is
 * loses its record only after the move. Events that cannot be set aside stay in the buffer.
 *
 * <p>Runs on the thread that owns the chunk: the flush thread that marked it in flight, or the
 * writer thread for drop_oldest_chunk (which marks its victim in flight first). The chunk table
 * changes under {@link BufferState#lock}; the store's failed/ methods are thread-safe.
 */
public final class ChunkDisposal {
    private static final Logger log = BufferEngine.ENGINE_LOG;

    private final String outputId;
    private final BufferSettings settings;
    private final Output output;
    private final Output secondary;
    private final Clock clock;
    private final ChunkStore store;
    private final BufferState state;
    private final BufferLedger ledger;
    private final BufferMetrics metrics;
    private final Runnable wakeWriter;
    private final BoundedWrite boundedWrite;

    public ChunkDisposal(
            String outputId,
            BufferSettings settings,
            Output output,
            Output secondary,
            Clock clock,
            ChunkStore store,
            BufferState state,
            BufferLedger ledger,
            BufferMetrics metrics,
            Runnable wakeWriter,
            BoundedWrite boundedWrite) {
        this.outputId = outputId;
        this.settings = settings;
        this.output = output;
        this.secondary = secondary;
        this.clock = clock;
        this.store = store;
        this.state = state;
        this.ledger = ledger;
        this.metrics = metrics;
        this.wakeWriter = wakeWriter;
        this.boundedWrite = boundedWrite;
    }

    /** Hands rejected events to the secondary, else failed/. True when they are taken care of. */
    boolean handleRejected(ChunkHandle h, Map<Integer, String> rejected, boolean wasSecondary) {
        BitSet keep = new BitSet();
        rejected.keySet().forEach(keep::set);
        Progress others = complementOf(keep, h.chunk.eventCount);
        Chunk subset = h.chunk.view(others, h.retryCount);
        String first = rejected.values().iterator().next();
        if (secondary != null && !wasSecondary) {
            WriteResult r = boundedWrite.call(secondary, subset);
            if (r == null) {
                return false;
            }
            BitSet stillOpen = new BitSet();
            Map<Integer, String> reasons = new TreeMap<>();
            for (Map.Entry<Integer, String> e : rejected.entrySet()) {
                if (!r.isDelivered(e.getKey())) {
                    stillOpen.set(e.getKey());
                    String why = r.rejected().get(e.getKey());
                    reasons.put(
                            e.getKey(),
                            e.getValue()
                                    + (why != null
                                            ? "; secondary: " + why
                                            : r.failureReason() != null
                                                    ? "; secondary failed: " + r.failureReason()
                                                    : ""));
                }
            }
            metrics.eventsToSecondary.increment(rejected.size() - stillOpen.cardinality());
            if (stillOpen.isEmpty()) {
                return true;
            }
            return toFailed(
                    h,
                    complementOf(stillOpen, h.chunk.eventCount),
                    "rejected by output " + output.type() + " and not taken by secondary " + secondary.type(),
                    reasons);
        }
        return toFailed(
                h,
                others,
                "rejected by output " + (wasSecondary ? secondary.type() : output.type()) + ": " + first,
                rejected);
    }

    private static Progress complementOf(BitSet set, int n) {
        BitSet c = new BitSet();
        c.set(0, n);
        c.andNot(set);
        return Progress.of(c);
    }

    private boolean toFailed(ChunkHandle h, Progress doneExceptThese, String reason, Map<Integer, String> reasons) {
        Chunk subset = h.chunk.view(doneExceptThese, h.retryCount);
        int events = subset.eventCount() - doneExceptThese.doneCount();
        if (!store.hasFailedDir()) {
            log.error(
                    "Buffer of output {}: {} events of chunk {} could not be delivered ({}) and a memory buffer without "
                            + "path has no failed/ directory: they are discarded",
                    outputId,
                    events,
                    subset.id(),
                    reason);
            metrics.eventsFailed.increment(events);
            return true;
        }
        try {
            String where = store.writeToFailed(subset, outputId, reason, reasons);
            metrics.chunksFailed.increment();
            metrics.eventsFailed.increment(events);
            log.warn(
                    "Buffer of output {}: {} events of chunk {} moved to {}: {}",
                    outputId,
                    events,
                    subset.id(),
                    where,
                    reason);
            return true;
        } catch (IOException | RuntimeException e) {
            log.error(
                    "Buffer of output {}: writing {} events of chunk {} to failed/ failed: {}; they stay in the buffer "
                            + "and are retried",
                    outputId,
                    events,
                    subset.id(),
                    e.toString());
            return false;
        }
    }

    /** Retries ran out: the pending events go to the secondary (if not tried yet) or to failed/. */
    void giveUp(ChunkHandle h, String reason) {
        log.error(
                "Buffer of output {}: chunk {} failed {} times since {}; giving up on the output ({})",
                outputId,
                ChunkFileFormat.idToString(h.chunk.id),
                h.retryCount,
                Instant.ofEpochMilli(h.firstFailureEpochMillis),
                reason);
        if (secondary != null && !h.useSecondary) {
            Chunk view = h.chunk.view(h.progress, h.retryCount);
            WriteResult r = boundedWrite.call(secondary, view);
            if (r != null) {
                BitSet taken = new BitSet();
                for (int i = 0; i < h.chunk.eventCount; i++) {
                    if (!h.progress.isDone(i) && r.isDelivered(i)) {
                        taken.set(i);
                    }
                }
                metrics.eventsToSecondary.increment(taken.cardinality());
                metrics.eventsDelivered.increment(taken.cardinality());
                Progress after = h.progress.with(taken);
                state.adjustTotals(0, -(after.doneCount() - h.progress.doneCount()));
                h.progress = after;
                if (after.isComplete(h.chunk.eventCount)) {
                    purge(h);
                    return;
                }
                reason = reason + "; secondary " + secondary.type() + ": "
                        + (r.failureReason() != null ? r.failureReason() : "did not take every event");
            }
        }
        setAside(h, "retries exhausted after " + h.retryCount + " failures: " + reason);
    }

    /**
     * Moves the chunk's pending events to failed/ and forgets the chunk. Returns where they went, or
     * null when they could not be moved: then the chunk stays queued (retried after retry_wait).
     */
    public String setAside(ChunkHandle h, String reason) {
        int events = h.pendingEvents();
        String where;
        boolean moved = false;
        try {
            if (h.progress.isEmpty() && h.state == ChunkState.QUEUED && store.hasFailedDir()) {
                where = store.moveToFailed(h.chunk, outputId, reason);
                moved = h.chunk instanceof FileStoredChunk;
                metrics.chunksFailed.increment();
                metrics.eventsFailed.increment(events);
            } else if (toFailed(h, h.progress, reason, Map.of())) {
                where = "failed/";
            } else {
                where = null;
            }
        } catch (IOException | RuntimeException e) {
            log.error(
                    "Buffer of output {}: moving chunk {} to failed/ failed: {}; it stays queued",
                    outputId,
                    h.chunk.describe(),
                    e.toString());
            where = null;
        }
        if (where == null) {
            h.nextAttemptEpochMillis =
                    clock.millis() + settings.retry().initialWait().toMillis();
            ledger.persist(h.record(), h);
            return null;
        }
        state.adjustTotals(0, -events);
        h.progress = Progress.all(h.chunk.eventCount);
        if (moved) {
            forget(h);
        } else {
            purge(h);
        }
        log.warn(
                "Buffer of output {}: {} events of chunk {} set aside in {}: {}",
                outputId,
                events,
                ChunkFileFormat.idToString(h.chunk.id),
                where,
                reason);
        return where;
    }

    /** The chunk's file was moved to failed/ as it is: drop the ledger record (after the move). */
    private void forget(ChunkHandle h) {
        ledger.tryUpdate(
                () -> {
                    ledger.remove(h.chunk.id);
                    ledger.commit();
                },
                "forget chunk moved to failed/");
        state.removeQueued(h);
        if (settings.overflowAction() == OverflowAction.BLOCK) {
            wakeWriter.run();
        }
    }

    /** Every event is done: ledger first (DELIVERED, committed), then the file, then the record. */
    void purge(ChunkHandle h) {
        // If the ledger cannot record it (disk full), the file is deleted anyway: its events are
        // delivered, and deleting is what frees the disk. The stale record is dropped at recovery.
        ledger.tryUpdate(
                () -> {
                    ledger.put(h.record().withState(ChunkState.DELIVERED));
                    ledger.commit();
                },
                "purge");
        try {
            h.chunk.delete();
        } catch (IOException e) {
            log.error(
                    "Buffer of output {}: deleting delivered chunk {} failed: {}; recovery deletes it",
                    outputId,
                    h.chunk.describe(),
                    e.toString());
        }
        ledger.tryUpdate(() -> ledger.remove(h.chunk.id), "purge");
        state.removeQueued(h);
        if (settings.overflowAction() == OverflowAction.BLOCK) {
            wakeWriter.run();
        }
    }
}
