package org.kinesisaggregator.buffer.internal.write;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import org.kinesisaggregator.buffer.AppendResult;
import org.kinesisaggregator.buffer.ChunkMetadata;
import org.kinesisaggregator.buffer.StreamedAppend;
import org.kinesisaggregator.buffer.internal.dedup.DedupKey;
import org.kinesisaggregator.buffer.internal.store.StoredChunk;

/**
 * One streamed append. Its caller side turns {@link #write}, {@link #commit} and {@link #abandon}
 * into requests for the writer thread; its writer side (the fields below) holds the private
 * chunks written so far, which the writer thread publishes at the commit or deletes.
 *
 * <p>Caller side: one caller at a time (a connection's event loop), never blocks. Writer side:
 * writer thread only.
 */
public final class StreamedAppendHandle implements StreamedAppend {
    final String tag;
    final ChunkMetadata metadata;
    private final RequestQueue requests;
    private final AtomicBoolean finished = new AtomicBoolean();
    private final AtomicBoolean abandonRequested = new AtomicBoolean();
    // writer thread
    final List<StoredChunk> privates = new ArrayList<>();
    StoredChunk current;
    long bytes;
    long events;
    boolean abandoned;
    /** The digest of the pieces written so far (null when dedup is off): a re-send's key covers them all. */
    DedupKey.Digest digest;

    public StreamedAppendHandle(String tag, ChunkMetadata metadata, RequestQueue requests) {
        this.tag = tag;
        this.metadata = metadata;
        this.requests = requests;
    }

    @Override
    public CompletableFuture<Void> write(ByteBuffer entries, int eventCount) {
        CompletableFuture<Void> f = new CompletableFuture<>();
        if (!requests.isAccepting()) {
            f.completeExceptionally(requests.notAccepting());
        } else if (finished.get() || abandonRequested.get()) {
            f.completeExceptionally(
                    new IllegalStateException("stream of tag " + tag + " already committed or abandoned"));
        } else {
            requests.enqueue(new RequestQueue.PieceRequest(this, entries, eventCount, f));
        }
        return f;
    }

    @Override
    public CompletableFuture<AppendResult> commit(byte[] dedupKey) {
        CompletableFuture<AppendResult> f = new CompletableFuture<>();
        if (!requests.isAccepting()) {
            f.completeExceptionally(requests.notAccepting());
            abandon();
        } else if (abandonRequested.get() || !finished.compareAndSet(false, true)) {
            f.completeExceptionally(
                    new IllegalStateException("stream of tag " + tag + " already committed or abandoned"));
        } else {
            requests.enqueue(new RequestQueue.CommitRequest(this, dedupKey == null ? null : dedupKey.clone(), f));
        }
        return f;
    }

    /**
     * Drops what was written. After {@link #commit} it does nothing: the commit is the point of no
     * return (otherwise the writer would delete private files the commit is about to publish and
     * count their bytes off twice).
     */
    @Override
    public void abandon() {
        if (finished.get()) {
            return;
        }
        if (abandonRequested.compareAndSet(false, true)) {
            requests.add(new RequestQueue.AbandonRequest(this));
        }
    }
}
