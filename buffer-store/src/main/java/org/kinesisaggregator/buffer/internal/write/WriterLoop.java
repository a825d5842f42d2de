package org.kinesisaggregator.buffer.internal.write;

import java.io.IOException;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.kinesisaggregator.buffer.AppendResult;
import org.kinesisaggregator.buffer.BufferException;
import org.kinesisaggregator.buffer.BufferSettings;
import org.kinesisaggregator.buffer.BufferSettings.FlushMode;
import org.kinesisaggregator.buffer.ChunkMetadata;
import org.kinesisaggregator.buffer.file.ChunkFileFormat;
import org.kinesisaggregator.buffer.internal.BufferEngine;
import org.kinesisaggregator.buffer.internal.BufferMetrics;
import org.kinesisaggregator.buffer.internal.BufferState;
import org.kinesisaggregator.buffer.internal.ChunkHandle;
import org.kinesisaggregator.buffer.internal.dedup.DedupKey;
import org.kinesisaggregator.buffer.internal.dedup.DedupWindow;
import org.kinesisaggregator.buffer.internal.store.BufferLedger;
import org.kinesisaggregator.buffer.internal.store.ChunkStore;
import org.kinesisaggregator.buffer.internal.store.StoredChunk;
import org.kinesisaggregator.buffer.internal.write.RequestQueue.AbandonRequest;
import org.kinesisaggregator.buffer.internal.write.RequestQueue.AppendRequest;
import org.kinesisaggregator.buffer.internal.write.RequestQueue.CommitRequest;
import org.kinesisaggregator.buffer.internal.write.RequestQueue.FlushRequest;
import org.kinesisaggregator.buffer.internal.write.RequestQueue.PieceRequest;
import org.kinesisaggregator.buffer.ledger.ChunkState;
import org.slf4j.Logger;

/**
 * The writer thread ({@code buffer-writer-<output>}). Each round it takes what the
 * {@link RequestQueue} holds (up to a request and byte cap), writes appends into the staged chunk
 * of their key and hands a stream's pieces, commits and abandons to {@link StreamedAppends};
 * then it retries the appends waiting for room, seals the staged chunks whose
 * {@code flush_interval} has passed (all of them at shutdown), expires dedup keys, and ends the
 * round with one {@link GroupCommit}.
 *
 * <p>Owns the staged chunks' content (the chunk table lists them, under the lock) and the appends
 * that wait for room ({@code overflow_action block}): while one waits, every later request waits
 * behind it, so appends keep their order.
 *
 * <p>Not thread-safe: {@link #run} is the writer thread; {@link #failBlocked} runs after it ended.
 */
public final class WriterLoop implements Runnable {
    private static final Logger log = BufferEngine.ENGINE_LOG;
    private static final int MAX_REQUESTS_PER_BATCH = 100_000;
    private static final long MAX_BYTES_PER_BATCH = 256L * 1024 * 1024;

    private final String outputId;
    private final BufferSettings settings;
    private final Clock clock;
    private final ChunkStore store;
    private final BufferState state;
    private final RequestQueue requests;
    private final BufferLedger ledger;
    private final BufferMetrics metrics;
    private final DedupWindow dedup;
    private final FrameWriter frames;
    private final OverflowGuard overflow;
    private final StreamedAppends streams;
    private final GroupCommit groupCommit;
    private final ArrayDeque<Object> blocked = new ArrayDeque<>();

    public WriterLoop(
            String outputId,
            BufferSettings settings,
            Clock clock,
            ChunkStore store,
            BufferState state,
            RequestQueue requests,
            BufferLedger ledger,
            BufferMetrics metrics,
            DedupWindow dedup,
            FrameWriter frames,
            OverflowGuard overflow,
            StreamedAppends streams,
            GroupCommit groupCommit) {
        this.outputId = outputId;
        this.settings = settings;
        this.clock = clock;
        this.store = store;
        this.state = state;
        this.requests = requests;
        this.ledger = ledger;
        this.metrics = metrics;
        this.dedup = dedup;
        this.frames = frames;
        this.overflow = overflow;
        this.streams = streams;
        this.groupCommit = groupCommit;
    }

    /** The writer thread's loop: rounds until {@link RequestQueue#STOP} (or an unexpected failure). */
    @Override
    public void run() {
        boolean stopping = false;
        try {
            while (!stopping) {
                Object r = requests.poll(writerWaitMillis());
                CommitBatch batch = new CommitBatch();
                List<FlushRequest> flushes = new ArrayList<>(0);
                int n = 0;
                while (r != null) {
                    if (r == RequestQueue.STOP) {
                        stopping = true;
                        break;
                    }
                    if (r instanceof FlushRequest f) {
                        flushes.add(f);
                    } else if (r != RequestQueue.WAKE) {
                        handle(r, batch);
                    }
                    if (++n >= MAX_REQUESTS_PER_BATCH || batch.bytes >= MAX_BYTES_PER_BATCH) {
                        break;
                    }
                    r = requests.poll();
                }
                try {
                    retryBlocked(batch);
                    if (!state.halted) {
                        sealDue(batch, stopping);
                    }
                    dedup.expire();
                } catch (RuntimeException e) {
                    log.error("Buffer of output {}: writer round failed: {}; continuing", outputId, e.toString(), e);
                }
                int forced = flushes.isEmpty() ? 0 : sealAll(batch);
                groupCommit.commit(batch);
                for (FlushRequest f : flushes) {
                    f.future().complete(forced);
                }
            }
            BufferException closing = new BufferException(
                    "buffer of output " + outputId + " is closing; the append was not stored and gets no ack");
            failBlocked(closing);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Throwable t) {
            log.error("Buffer of output {}: writer thread failed; appends are refused from now on", outputId, t);
            requests.stopAccepting();
            BufferException dead = new BufferException(
                    "buffer of output " + outputId + ": writer thread failed (" + t + "); see the log, then restart",
                    t);
            failBlocked(dead);
            requests.failAll(dead);
        }
    }

    private long writerWaitMillis() {
        long wait = settings.flushThreadInterval().toMillis();
        if (settings.flushesByInterval()) {
            wait = Math.min(wait, settings.flushInterval().toMillis());
        }
        return Math.max(1, wait);
    }

    private void handle(Object r, CommitBatch batch) {
        if (r instanceof AbandonRequest a) {
            streams.abandon(a.stream());
            return;
        }
        if (!blocked.isEmpty()) {
            blocked.add(r);
            return;
        }
        if (!process(r, batch)) {
            blocked.add(r);
        }
    }

    private void retryBlocked(CommitBatch batch) {
        while (!blocked.isEmpty()) {
            if (!process(blocked.peek(), batch)) {
                return;
            }
            blocked.poll();
        }
    }

    /** Returns false when the request must wait for room (overflow_action block). */
    private boolean process(Object r, CommitBatch batch) {
        if (r instanceof AppendRequest a) {
            return processAppend(a, batch);
        } else if (r instanceof PieceRequest p) {
            return streams.processPiece(p, batch);
        } else if (r instanceof CommitRequest c) {
            streams.processCommit(c, batch);
        }
        return true;
    }

    private boolean processAppend(AppendRequest a, CommitBatch batch) {
        try {
            DedupKey dedupKey = dedup.keyOf(a.dedupKey(), a.tag(), a.entries(), a.eventCount());
            if (dedup.isDuplicate(dedupKey)) {
                dedup.hit(dedupKey);
                metrics.appendsDuplicate.increment();
                batch.complete(a.future(), AppendResult.duplicate());
                return true;
            }
            if (a.eventCount() == 0) {
                // nothing to store: an empty frame would read as an impossible one at recovery
                batch.complete(a.future(), AppendResult.stored(0));
                return true;
            }
            FrameWriter.checkEntries(a.entries(), a.eventCount(), a.tag());
            byte[] tagBytes = ChunkFileFormat.tagBytes(a.tag());
            long bytes = ChunkFileFormat.frameBytes(tagBytes.length, a.entries().remaining());
            if (!overflow.makeRoom(bytes, a.tag())) {
                return false;
            }
            StagedTarget target = new StagedTarget(stagedKey(a.tag(), a.metadata()), a.metadata(), batch);
            long now = clock.millis();
            boolean keyInFrame =
                    frames.write(a.tag(), tagBytes, a.entries(), a.eventCount(), target, batch, now, dedupKey);
            if (dedupKey != null) {
                // in the frame: durable with its fsync, no ledger write (only a split append's key goes there)
                batch.ledgerDirty |= dedup.remember(dedupKey, now, keyInFrame);
            }
            metrics.appendsStored.increment();
            metrics.appendBytes.increment(a.entries().remaining());
            metrics.appendEvents.increment(a.eventCount());
            AppendResult result = AppendResult.stored(a.eventCount());
            if ("memory".equals(store.type())) {
                frames.stored();
                a.future().complete(result);
            } else {
                // a file chunk gathers small frames and writes them at the commit: the ack waits for the
                // round's write(2) (ack_durability write) or its fsync too
                batch.complete(a.future(), result);
                if (dedupKey != null) {
                    batch.dedupKeys.add(dedupKey);
                }
            }
        } catch (BufferException e) {
            metrics.appendsRefused.increment();
            a.future().completeExceptionally(e);
        } catch (IOException e) {
            metrics.appendsRefused.increment();
            a.future().completeExceptionally(frames.ioFailure(e));
        } catch (RuntimeException e) {
            metrics.appendsRefused.increment();
            a.future()
                    .completeExceptionally(new BufferException(
                            "append of tag " + a.tag() + " to output " + outputId + " refused: " + e.getMessage(), e));
        }
        return true;
    }

    /**
     * The key of the staged chunk an append goes to: its tag when chunked by tag (else ""), then,
     * with record chunk keys, a NUL and the metadata's canonical encoding (one char per byte, so
     * that distinct metadata make distinct keys).
     */
    private String stagedKey(String tag, ChunkMetadata metadata) {
        String key = settings.chunkKeys() == BufferSettings.ChunkKeys.TAG ? tag : "";
        if (metadata.isEmpty()) {
            return key;
        }
        return key + '\0' + new String(metadata.encode(), java.nio.charset.StandardCharsets.ISO_8859_1);
    }

    /** The staged chunk of a key ({@code chunk_keys}) as the target of an append; created when missing. */
    private final class StagedTarget implements FrameWriter.Target {
        private final String key;
        private final ChunkMetadata metadata;
        private final CommitBatch batch;

        StagedTarget(String key, ChunkMetadata metadata, CommitBatch batch) {
            this.key = key;
            this.metadata = metadata;
            this.batch = batch;
        }

        @Override
        public StoredChunk current() throws IOException {
            ChunkHandle h = state.staged(key);
            if (h == null) {
                sealOldestWhenAtLimit(batch);
                StoredChunk chunk = frames.newChunk(metadata, false);
                h = new ChunkHandle(chunk, key);
                h.state = ChunkState.STAGED;
                ChunkHandle created = h;
                ledger.tryUpdate(() -> ledger.put(created.record()), "new chunk");
                batch.ledgerDirty = true;
                batch.newFiles = true;
                state.lock.lock();
                try {
                    state.staged.put(key, h);
                } finally {
                    state.lock.unlock();
                }
            }
            return h.chunk;
        }

        @Override
        public StoredChunk currentIfAny() {
            ChunkHandle h = state.staged(key);
            return h == null ? null : h.chunk;
        }

        @Override
        public boolean sealsEveryAppend() {
            return settings.flushMode() == FlushMode.IMMEDIATE;
        }

        @Override
        public void rollover() {
            state.lock.lock();
            try {
                ChunkHandle h = state.staged.remove(key);
                if (h != null) {
                    batch.toSeal.add(h);
                }
            } finally {
                state.lock.unlock();
            }
        }
    }

    /**
     * {@code staged_chunks_limit}: before a new staged chunk is made while the limit's number are
     * staged, the oldest staged one is sealed (queued for delivery), whatever its age.
     */
    private void sealOldestWhenAtLimit(CommitBatch batch) {
        state.lock.lock();
        try {
            while (state.staged.size() >= settings.stagedChunksLimit()) {
                ChunkHandle oldest = null;
                for (ChunkHandle h : state.staged.values()) {
                    if (oldest == null || h.chunk.createdAtEpochMillis < oldest.chunk.createdAtEpochMillis) {
                        oldest = h;
                    }
                }
                state.staged.remove(oldest.key);
                batch.toSeal.add(oldest);
                metrics.stagedLimitSeals.increment();
            }
        } finally {
            state.lock.unlock();
        }
    }

    /** Seals staged chunks whose flush_interval has passed (and all of them at shutdown). */
    private void sealDue(CommitBatch batch, boolean stopping) {
        long now = clock.millis();
        boolean byInterval = settings.flushesByInterval();
        state.lock.lock();
        try {
            Iterator<ChunkHandle> it = state.staged.values().iterator();
            while (it.hasNext()) {
                ChunkHandle h = it.next();
                boolean due = (byInterval
                                        && now - h.chunk.createdAtEpochMillis
                                                >= settings.flushInterval().toMillis()
                                || sliceDone(h, now))
                        && (settings.queuedChunksLimitCount() == 0
                                || state.queued.size() + batch.toSeal.size() < settings.queuedChunksLimitCount());
                if ((stopping && settings.flushAtShutdown()) || (due && h.chunk.eventCount > 0)) {
                    it.remove();
                    batch.toSeal.add(h);
                }
            }
        } finally {
            state.lock.unlock();
        }
    }

    /** Fluentd's time-slice rule: the chunk's slice has ended and {@code timekey_wait} has passed. */
    private boolean sliceDone(ChunkHandle h, long nowMillis) {
        Long slice = settings.timekey() == null ? null : h.chunk.metadata.timekey();
        if (slice == null) {
            return false;
        }
        long end = (slice + settings.timekey().toSeconds()) * 1000
                + settings.timekeyWait().toMillis();
        return nowMillis >= end;
    }

    /**
     * {@code flushNow()}: seals every staged chunk that holds events, whatever its age and the queue
     * limits. Returns how many it added to the round's seals.
     */
    private int sealAll(CommitBatch batch) {
        int sealed = 0;
        state.lock.lock();
        try {
            Iterator<ChunkHandle> it = state.staged.values().iterator();
            while (it.hasNext()) {
                ChunkHandle h = it.next();
                if (h.chunk.eventCount > 0) {
                    it.remove();
                    batch.toSeal.add(h);
                    sealed++;
                }
            }
        } finally {
            state.lock.unlock();
        }
        return sealed;
    }

    /**
     * Fails the appends still waiting for room. Called by {@code close()} once the writer thread
     * has ended (or, bounded by the shutdown timeout, was interrupted).
     */
    public void failBlocked(Throwable e) {
        Object r;
        while ((r = blocked.poll()) != null) {
            RequestQueue.fail(r, e);
        }
    }
}
