package org.kinesisaggregator.buffer.internal.write;

import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.kinesisaggregator.buffer.AppendResult;
import org.kinesisaggregator.buffer.BufferException;
import org.kinesisaggregator.buffer.ChunkMetadata;

/**
 * The writer thread's inbox, and the gate that says whether the buffer takes requests.
 *
 * <p>Callers add appends and a stream's pieces, commits and abandons; flush threads add
 * {@link #WAKE} when room frees; {@code close()} adds {@link #STOP}. The queue is unbounded but
 * holds small objects only (the server bounds how many appends each connection has in flight, so
 * it is bounded by the number of connections). The writer thread takes them in order. A request
 * the gate refuses, or one enqueued after the buffer closed with no writer thread left to take
 * it, is failed at once: nothing is ever left waiting.
 *
 * <p>Thread-safe. The gate opens once ({@link #open}, before the writer starts) and closes once.
 */
public final class RequestQueue {
    /** The writer thread finishes its round and stops. */
    public static final Object STOP = new Object();
    /** Wakes the writer thread: room freed, blocked appends may go on. */
    public static final Object WAKE = new Object();

    private final String outputId;
    private final LinkedBlockingQueue<Object> requests = new LinkedBlockingQueue<>();
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile boolean accepting;
    private Thread writer;

    public RequestQueue(String outputId) {
        this.outputId = outputId;
    }

    /** Opens the gate; {@code writer} will take the requests. Called once, before the writer starts. */
    public void open(Thread writer) {
        accepting = true;
        this.writer = writer;
    }

    public boolean isAccepting() {
        return accepting;
    }

    /** The writer thread failed: requests are refused from now on. */
    void stopAccepting() {
        accepting = false;
    }

    /** Closes the gate. True for the one call that closed it. */
    public boolean close() {
        if (!closed.compareAndSet(false, true)) {
            return false;
        }
        accepting = false;
        return true;
    }

    /** Adds a caller's request; fails it at once when the buffer is closed and no writer is left. */
    public void enqueue(Object r) {
        requests.add(r);
        if ((closed.get() || !accepting) && !writerAlive() && requests.remove(r)) {
            fail(r, notAccepting());
        }
    }

    /** Adds {@link #STOP}, {@link #WAKE} or an abandon, which need no answer. */
    public void add(Object r) {
        requests.add(r);
    }

    Object poll(long timeoutMillis) throws InterruptedException {
        return requests.poll(timeoutMillis, TimeUnit.MILLISECONDS);
    }

    Object poll() {
        return requests.poll();
    }

    /** Fails every request still queued with {@code e}. */
    public void failAll(Throwable e) {
        Object r;
        while ((r = requests.poll()) != null) {
            fail(r, e);
        }
    }

    public BufferException notAccepting() {
        return new BufferException("buffer of output " + outputId + " is " + (closed.get() ? "closed" : "not started")
                + "; the append was not stored");
    }

    /** Completes the request's future exceptionally (requests without one are dropped). */
    static void fail(Object r, Throwable e) {
        if (r instanceof AppendRequest a) {
            a.future.completeExceptionally(e);
        } else if (r instanceof PieceRequest p) {
            p.future.completeExceptionally(e);
        } else if (r instanceof CommitRequest c) {
            c.future.completeExceptionally(e);
        } else if (r instanceof FlushRequest f) {
            f.future.completeExceptionally(e);
        }
    }

    private boolean writerAlive() {
        Thread w = writer;
        return w != null && w.isAlive();
    }

    public record AppendRequest(
            String tag,
            ChunkMetadata metadata,
            ByteBuffer entries,
            int eventCount,
            byte[] dedupKey,
            CompletableFuture<AppendResult> future) {}

    record PieceRequest(
            StreamedAppendHandle stream, ByteBuffer entries, int eventCount, CompletableFuture<Void> future) {}

    record CommitRequest(StreamedAppendHandle stream, byte[] dedupKey, CompletableFuture<AppendResult> future) {}

    record AbandonRequest(StreamedAppendHandle stream) {}

    /** {@code flushNow()}: seal every staged chunk this round; completes with how many were sealed. */
    public record FlushRequest(CompletableFuture<Integer> future) {}
}
