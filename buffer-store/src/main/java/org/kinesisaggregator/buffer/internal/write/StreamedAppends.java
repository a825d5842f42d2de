package org.kinesisaggregator.buffer.internal.write;

import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import org.kinesisaggregator.buffer.AppendResult;
import org.kinesisaggregator.buffer.BufferException;
import org.kinesisaggregator.buffer.file.ChunkFileFormat;
import org.kinesisaggregator.buffer.internal.BufferEngine;
import org.kinesisaggregator.buffer.internal.BufferMetrics;
import org.kinesisaggregator.buffer.internal.BufferState;
import org.kinesisaggregator.buffer.internal.ChunkHandle;
import org.kinesisaggregator.buffer.internal.dedup.DedupKey;
import org.kinesisaggregator.buffer.internal.dedup.DedupWindow;
import org.kinesisaggregator.buffer.internal.store.BufferLedger;
import org.kinesisaggregator.buffer.internal.store.ChunkStore;
import org.kinesisaggregator.buffer.internal.store.FileStoredChunk;
import org.kinesisaggregator.buffer.internal.store.StoredChunk;
import org.kinesisaggregator.buffer.internal.write.CommitBatch.PendingPublish;
import org.kinesisaggregator.buffer.internal.write.RequestQueue.CommitRequest;
import org.kinesisaggregator.buffer.internal.write.RequestQueue.PieceRequest;
import org.kinesisaggregator.buffer.ledger.ChunkState;
import org.slf4j.Logger;

/**
 * The writer side of streamed appends ({@link StreamedAppendHandle}): each piece is written, as it arrives, to
 * the stream's private chunk files ({@code .chunk.private}), which recovery deletes unless they
 * were published; they are neither synced nor counted as pending until the commit. A commit whose
 * dedup key was seen discards them; otherwise the group commit publishes them: seal (fsync), ledger
 * records and one ledger commit (the commit point: recovery publishes the private files the ledger
 * lists), rename to {@code .chunk}, directory fsync, then they are queued and the commit completes.
 * An abandoned stream's files are deleted.
 *
 * <p>Invariant: until its commit completes normally, nothing of a stream will be delivered, and
 * its dedup key is kept only when its events will be.
 *
 * <p>Not thread-safe: confined to the writer thread.
 */
public final class StreamedAppends {
    private static final Logger log = BufferEngine.ENGINE_LOG;

    private final String outputId;
    private final ChunkStore store;
    private final BufferState state;
    private final BufferLedger ledger;
    private final BufferMetrics metrics;
    private final DedupWindow dedup;
    private final FrameWriter frames;
    private final OverflowGuard overflow;

    public StreamedAppends(
            String outputId,
            ChunkStore store,
            BufferState state,
            BufferLedger ledger,
            BufferMetrics metrics,
            DedupWindow dedup,
            FrameWriter frames,
            OverflowGuard overflow) {
        this.outputId = outputId;
        this.store = store;
        this.state = state;
        this.ledger = ledger;
        this.metrics = metrics;
        this.dedup = dedup;
        this.frames = frames;
        this.overflow = overflow;
    }

    /** A stream's private chunks as the target of its pieces. */
    private final class StreamTarget implements FrameWriter.Target {
        final StreamedAppendHandle stream;

        StreamTarget(StreamedAppendHandle stream) {
            this.stream = stream;
        }

        @Override
        public StoredChunk current() throws IOException {
            if (stream.current == null) {
                stream.current = frames.newChunk(stream.metadata, true);
                stream.privates.add(stream.current);
            }
            return stream.current;
        }

        @Override
        public StoredChunk currentIfAny() {
            return stream.current;
        }

        @Override
        public boolean sealsEveryAppend() {
            return false;
        }

        @Override
        public void rollover() {
            stream.current = null;
        }
    }

    /**
     * Writes a piece to the stream's private chunks (after room is made). False when it must wait
     * for room (overflow_action block). Completes the piece's future.
     */
    boolean processPiece(PieceRequest p, CommitBatch batch) {
        StreamedAppendHandle s = p.stream();
        if (s.abandoned) {
            p.future().completeExceptionally(new BufferException("stream of tag " + s.tag + " was abandoned"));
            return true;
        }
        try {
            if (p.eventCount() == 0) {
                p.future().complete(null);
                return true;
            }
            FrameWriter.checkEntries(p.entries(), p.eventCount(), s.tag);
            byte[] tagBytes = ChunkFileFormat.tagBytes(s.tag);
            long bytes = ChunkFileFormat.frameBytes(tagBytes.length, p.entries().remaining());
            if (!overflow.makeRoom(bytes, s.tag)) {
                return false;
            }
            long before = batch.bytes;
            batch.privateWrite = true;
            try {
                frames.write(s.tag, tagBytes, p.entries(), p.eventCount(), new StreamTarget(s), batch);
            } finally {
                batch.privateWrite = false;
            }
            // private chunks are synced at commit, not now: they are not acked until then
            for (StoredChunk c : s.privates) {
                batch.dirty.remove(c);
            }
            s.bytes += batch.bytes - before;
            s.events += p.eventCount();
            if (s.digest == null) {
                s.digest = dedup.newDigest();
            }
            if (s.digest != null) {
                s.digest.update(p.entries(), p.eventCount());
            }
            metrics.appendBytes.increment(p.entries().remaining());
            p.future().complete(null);
        } catch (BufferException e) {
            p.future().completeExceptionally(e);
        } catch (IOException e) {
            p.future().completeExceptionally(frames.ioFailure(e));
        } catch (RuntimeException e) {
            p.future()
                    .completeExceptionally(
                            new BufferException("streamed append of tag " + s.tag + " refused: " + e.getMessage(), e));
        }
        return true;
    }

    /** A commit: a duplicate discards the pieces; else the batch's group commit publishes them. */
    void processCommit(CommitRequest c, CommitBatch batch) {
        StreamedAppendHandle s = c.stream();
        if (s.abandoned) {
            c.future().completeExceptionally(new BufferException("stream of tag " + s.tag + " was abandoned"));
            return;
        }
        DedupKey.Digest digest = s.digest != null ? s.digest : dedup.newDigest();
        DedupKey key = digest == null ? null : digest.finish(c.dedupKey(), s.tag);
        if (dedup.isDuplicate(key)) {
            discard(s);
            dedup.hit(key);
            metrics.appendsDuplicate.increment();
            batch.complete(c.future(), AppendResult.duplicate());
            return;
        }
        if (key != null) {
            // known only at the commit, after the frames were written: kept in the ledger
            batch.ledgerDirty |= dedup.remember(key, dedup.now(), false);
        }
        metrics.appendsStored.increment();
        metrics.appendEvents.increment(s.events);
        batch.publish.add(new PendingPublish(s, key, c.future()));
    }

    /** Publishes a committed stream (called by the group commit) and completes its future. */
    void publish(PendingPublish p) {
        StreamedAppendHandle s = p.stream();
        try {
            List<ChunkHandle> handles = new ArrayList<>();
            for (StoredChunk c : s.privates) {
                c.seal();
                if (c.eventCount == 0) {
                    c.delete();
                    continue;
                }
                ChunkHandle h = new ChunkHandle(c, "");
                h.state = ChunkState.QUEUED;
                handles.add(h);
                ledger.put(h.record());
            }
            // The ledger commit is the commit point: recovery publishes private files the ledger lists.
            ledger.commit();
            for (ChunkHandle h : handles) {
                h.chunk.publish();
            }
            store.syncDirectory();
            state.lock.lock();
            try {
                for (ChunkHandle h : handles) {
                    state.queued.put(h.chunk.id, h);
                    state.pendingEvents += h.chunk.eventCount;
                    metrics.chunksSealed.increment();
                }
                state.flushWork.signalAll();
            } finally {
                state.lock.unlock();
            }
            s.privates.clear();
            frames.stored();
            p.future().complete(AppendResult.stored(s.events));
        } catch (IOException | RuntimeException e) {
            log.error(
                    "Buffer of output {}: publishing a streamed append of tag {} failed: {}",
                    outputId,
                    s.tag,
                    e.toString());
            if (!s.privates.isEmpty()
                    && s.privates.get(0) instanceof FileStoredChunk f
                    && Files.exists(f.path())
                    && f.path().toString().endsWith(ChunkFileFormat.PRIVATE_SUFFIX)) {
                discard(s); // not published: nothing of it will be delivered
                dedup.forget(p.dedupKey()); // so that the forwarder's re-send is stored, not taken for a duplicate
            }
            metrics.appendsRefused.increment();
            p.future().completeExceptionally(frames.ioFailure(e instanceof IOException io ? io : new IOException(e)));
        }
    }

    /** The caller gave the stream up: its pieces are deleted. Idempotent. */
    void abandon(StreamedAppendHandle s) {
        if (!s.abandoned) {
            s.abandoned = true;
            discard(s);
        }
    }

    private void discard(StreamedAppendHandle s) {
        for (StoredChunk c : s.privates) {
            try {
                c.delete();
            } catch (IOException e) {
                log.warn(
                        "Buffer of output {}: deleting {} of an abandoned stream failed: {}; recovery deletes it",
                        outputId,
                        c.describe(),
                        e.toString());
            }
        }
        s.privates.clear();
        s.current = null;
        state.adjustTotals(-s.bytes, 0);
        s.bytes = 0;
    }
}
