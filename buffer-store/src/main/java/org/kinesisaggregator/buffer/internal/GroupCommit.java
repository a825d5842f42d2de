package org.kinesisaggregator.buffer.internal;

import java.io.IOException;
import java.util.concurrent.TimeUnit;
import org.kinesisaggregator.buffer.BufferSettings;
import org.kinesisaggregator.buffer.BufferSettings.AckDurability;
import org.kinesisaggregator.buffer.internal.CommitBatch.PendingPublish;
import org.kinesisaggregator.buffer.ledger.ChunkState;
import org.slf4j.Logger;

/**
 * The end of a writer round, in this order: under {@code ack_durability fsync}, one fsync per
 * chunk file written in the round and a directory fsync when files were created; sealing (staged
 * → queued, ledger record written under the lock); publishing the streamed appends committed in
 * the round; one ledger commit; and only then the appends' futures complete (exceptionally when
 * an fsync failed). One fsync thus serves every append of the round, across all connections.
 *
 * <p>Invariant: an append is acked only after the frames holding it reached the configured
 * durability point; a failed ledger commit does not fail the acks (the synced chunk files hold
 * the events). An append refused because an fsync failed leaves no dedup key behind, so that its
 * re-send is stored again (a duplicate at worst, never a loss).
 *
 * <p>Not thread-safe: confined to the writer thread.
 */
final class GroupCommit {
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

    GroupCommit(
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
        boolean fsync = settings.ackDurability() == AckDurability.FSYNC;
        if (fsync) {
            for (StoredChunk c : batch.dirty) {
                if (c.isDirty()) {
                    long t0 = System.nanoTime();
                    try {
                        c.sync();
                    } catch (IOException e) {
                        failure = e;
                        log.error("Buffer of output {}: fsync of {} failed: {}", outputId, c.describe(), e.toString());
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
