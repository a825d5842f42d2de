package org.kinesisaggregator.buffer.internal.write;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.kinesisaggregator.buffer.AppendResult;
import org.kinesisaggregator.buffer.internal.ChunkHandle;
import org.kinesisaggregator.buffer.internal.dedup.DedupKey;
import org.kinesisaggregator.buffer.internal.store.StoredChunk;

/**
 * What one round of the writer thread did, committed together: the chunk files written (to
 * fsync), the chunks to seal, the streamed appends to publish, whether the ledger changed, and the
 * appends to complete once all of that is done. Writer thread only.
 */
final class CommitBatch {
    final List<CompletableFuture<AppendResult>> futures = new ArrayList<>();
    /** Dedup keys remembered for appends acked by this round: forgotten again if the round fails. */
    final List<DedupKey> dedupKeys = new ArrayList<>();

    final List<AppendResult> results = new ArrayList<>();
    final Set<StoredChunk> dirty = new LinkedHashSet<>();
    final List<ChunkHandle> toSeal = new ArrayList<>();
    final List<PendingPublish> publish = new ArrayList<>();
    boolean ledgerDirty;
    boolean newFiles;
    /** Set while a streamed append's piece is written: its events are not pending until published. */
    boolean privateWrite;

    long bytes;
    long events;

    /** Completes {@code f} with {@code r} at the end of the round's commit. */
    void complete(CompletableFuture<AppendResult> f, AppendResult r) {
        futures.add(f);
        results.add(r);
    }

    /** A streamed append committed in this round, published by the group commit. */
    record PendingPublish(StreamedAppendHandle stream, DedupKey dedupKey, CompletableFuture<AppendResult> future) {}
}
