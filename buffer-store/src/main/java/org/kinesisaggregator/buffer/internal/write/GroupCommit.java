package org.kinesisaggregator.buffer.internal.write;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.kinesisaggregator.buffer.BufferSettings;
import org.kinesisaggregator.buffer.BufferSettings.AckDurability;
import org.kinesisaggregator.buffer.internal.BufferEngine;
import org.kinesisaggregator.buffer.internal.BufferMetrics;
import org.kinesisaggregator.buffer.internal.BufferState;
import org.kinesisaggregator.buffer.internal.ChunkHandle;
import org.kinesisaggregator.buffer.internal.dedup.DedupKey;
import org.kinesisaggregator.buffer.internal.dedup.DedupWindow;
import org.kinesisaggregator.buffer.internal.store.BufferLedger;
import org.kinesisaggregator.buffer.internal.store.ChunkStore;
import org.kinesisaggregator.buffer.internal.store.StoredChunk;
import org.kinesisaggregator.buffer.internal.write.CommitBatch.PendingPublish;
import org.kinesisaggregator.buffer.ledger.ChunkState;
import org.slf4j.Logger;

/**
 * The end of a writer round, in this order: under {@code ack_durability fsync}, one fsync per
 * chunk file written in the round and a directory fsync when files were created; sealing (staged
 * → queued, ledger record written under the lock); publishing the streamed appends committed in
 * the round; one ledger commit when the ledger changed (a chunk created or sealed, a ledger dedup
 * key: not per message, since an append's dedup key rides in its frame); and only then the
 * appends' futures complete (exceptionally when an fsync failed). One fsync thus serves every
 * append of the round, across all connections.
 *
 * <p>A failed fsync is never retried and trusted (PostgreSQL's rule since 2018): the chunk whose
 * fsync failed is cut back to its last successful sync and sealed, and the round's appends are
 * refused.
 *
 * <p>Invariant: an append is acked only after the frames holding it reached the configured
 * durability point; a failed ledger commit does not fail the acks (the synced chunk files hold
 * the events). An append refused because an fsync failed leaves no dedup key behind, so that its
 * re-send is stored again (a duplicate at worst, never a loss).
 *
 * <p>Not thread-safe: confined to the writer thread.
 */
public final class GroupCommit {
    private static final Logger log = BufferEngine.ENGINE_LOG;

    private final String outputId;
    private final BufferSettings settings;
    private final ChunkStore store;
    private final BufferState state;
    private final BufferLedger ledger;
    private final BufferMetrics metrics;
    private final FrameWriter frames;
    private final StreamedAppends streams;
    private final DedupWindow dedup;

    public GroupCommit(
            String outputId,
            BufferSettings settings,
            ChunkStore store,
            BufferState state,
            BufferLedger ledger,
            BufferMetrics metrics,
            FrameWriter frames,
            StreamedAppends streams,
            DedupWindow dedup) {
        this.outputId = outputId;
        this.settings = settings;
        this.store = store;
        this.state = state;
        this.ledger = ledger;
        this.metrics = metrics;
        this.frames = frames;
        this.streams = streams;
        this.dedup = dedup;
    }

    /** The group commit: sync, seal, publish, ledger commit, then complete the futures. */
    void commit(CommitBatch batch) {
        IOException failure = null;
        List<StoredChunk> failedSyncs = new ArrayList<>();
        boolean fsync = settings.ackDurability() == AckDurability.FSYNC;
        // the round's small frames, gathered per chunk, go to the files first (one write each); a
        // failed write drops them (the chunk is cut back to what its file held) and refuses the round
        List<StoredChunk> failedWrites = new ArrayList<>();
        for (StoredChunk c : batch.dirty) {
            long bytes = c.dataBytes;
            int events = c.eventCount;
            try {
                c.writePending();
            } catch (IOException e) {
                failure = e;
                failedWrites.add(c);
                state.adjustTotals(c.dataBytes - bytes, c.isPrivate() ? 0 : c.eventCount - events);
                log.warn(
                        "Buffer of output {}: writing the round's appends to chunk {} failed: {}; they are refused",
                        outputId,
                        c.describe(),
                        e.toString());
            }
        }
        if (fsync) {
            for (StoredChunk c : batch.dirty) {
                if (c.isDirty() && !failedWrites.contains(c)) {
                    long t0 = System.nanoTime();
                    try {
                        c.sync();
                    } catch (IOException e) {
                        failure = e;
                        failedSyncs.add(c);
                        metrics.fsyncFailures.increment();
                    }
                    metrics.fsyncLatency.record(System.nanoTime() - t0, TimeUnit.NANOSECONDS);
                    metrics.fsyncs.increment();
                }
            }
        }
        try {
            if (batch.newFiles && fsync) {
                store.syncDirectory();
            }
        } catch (IOException e) {
            failure = e;
        }
        if (failure != null) {
            // The round's appends are refused (no ack): their forwarders re-send with the same chunk ids,
            // and those re-sends must be stored, not taken for duplicates of frames that may not be on disk.
            for (DedupKey key : batch.dedupKeys) {
                dedup.forget(key);
            }
            for (StoredChunk c : failedSyncs) {
                sealWithWhatWasSynced(c, batch, failure);
            }
        }
        for (ChunkHandle h : batch.toSeal) {
            seal(h);
        }
        for (PendingPublish p : batch.publish) {
            streams.publish(p);
        }
        if (batch.ledgerDirty || !batch.toSeal.isEmpty()) {
            // The chunk files (synced above) hold the events: a failed ledger commit does not fail the acks.
            ledger.tryUpdate(ledger::commit, "group commit");
        }
        if (failure == null && !batch.futures.isEmpty()) {
            frames.stored();
        }
        for (int i = 0; i < batch.futures.size(); i++) {
            if (failure != null && !batch.results.get(i).isDuplicate()) {
                metrics.appendsRefused.increment();
                batch.futures.get(i).completeExceptionally(frames.ioFailure(failure));
            } else {
                batch.futures.get(i).complete(batch.results.get(i));
            }
        }
        if (!batch.toSeal.isEmpty()) {
            state.signalFlushWork();
        }
    }

    /**
     * A failed fsync (or a file found shorter after one) loses the chunk's unsynced tail: Linux may
     * have dropped those pages and report success on the next fsync, so nothing after the last
     * successful sync is trusted. The chunk is cut back to its synced length and sealed (in this
     * commit); the round's appends are refused by the caller, and later appends go to a new chunk
     * instead of landing past a hole.
     */
    private void sealWithWhatWasSynced(StoredChunk c, CommitBatch batch, IOException failure) {
        long lostBytes = c.unsyncedBytes();
        int lostEvents = c.unsyncedEvents();
        String cut = "cut back";
        try {
            c.cutToSynced();
        } catch (IOException e) {
            cut = "could not be cut back (" + e + "; recovery re-validates it)";
        }
        state.adjustTotals(-lostBytes, -lostEvents);
        ChunkHandle handle = null;
        for (ChunkHandle h : batch.toSeal) {
            if (h.chunk == c) {
                handle = h;
            }
        }
        if (handle == null) {
            state.lock.lock();
            try {
                Iterator<ChunkHandle> it = state.staged.values().iterator();
                while (it.hasNext()) {
                    ChunkHandle h = it.next();
                    if (h.chunk == c) {
                        it.remove();
                        batch.toSeal.add(h);
                    }
                }
            } finally {
                state.lock.unlock();
            }
        }
        log.error(
                "Buffer of output {}: fsync of {} failed: {}; its {} unsynced bytes ({} events) count as lost: "
                        + "the {} appends of this round are refused (no ack, the forwarders re-send), the chunk is {} "
                        + "and sealed with the {} bytes synced before, new appends go to a new chunk. Check the disk "
                        + "(kernel log, SMART) and free space.",
                outputId,
                c.describe(),
                failure.toString(),
                lostBytes,
                lostEvents,
                batch.futures.size(),
                cut,
                c.dataBytes);
    }

    private void seal(ChunkHandle h) {
        try {
            h.chunk.seal();
        } catch (IOException e) {
            log.error(
                    "Buffer of output {}: sealing {} failed: {}; it is queued as it is",
                    outputId,
                    h.chunk.describe(),
                    e.toString());
        }
        state.lock.lock();
        try {
            if (h.chunk.eventCount == 0) {
                state.totalBytes -= h.chunk.dataBytes;
                try {
                    h.chunk.delete();
                } catch (IOException e) {
                    log.warn(
                            "Buffer of output {}: deleting empty chunk {} failed: {}",
                            outputId,
                            h.chunk.describe(),
                            e.toString());
                }
                ledger.tryUpdate(() -> ledger.remove(h.chunk.id), "drop empty chunk");
                return;
            }
            h.state = ChunkState.QUEUED;
            state.queued.put(h.chunk.id, h);
            ledger.tryUpdate(() -> ledger.put(h.record()), "seal");
        } finally {
            state.lock.unlock();
        }
        metrics.chunksSealed.increment();
    }
}
