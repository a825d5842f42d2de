package org.kinesisaggregator.buffer;

import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * A destination that buffered chunks are flushed to (Kinesis, a file, stdout, a secondary).
 *
 * <p>The buffer's flush threads call {@link #write} with the oldest ready chunk and wait for the
 * result at most {@code delayed_commit_timeout}; a timed-out write counts as a failure of every
 * event it did not report. An output reports per event: delivered, rejected for good (goes to
 * {@code <secondary>} or {@code failed/}), or neither (retried later, and only those).
 *
 * <p><b>Threads.</b> {@code write} may be called by several flush threads at once
 * ({@code flush_thread_count}); it must not block for long (hand off to the output's own I/O and
 * complete the future from there). {@link #start} and {@link #close} are called once each by the
 * buffer's owner.
 */
public interface Output extends AutoCloseable {

    /** A short name for logs and metric tags, e.g. {@code kinesis_streams_aggregated}. */
    String type();

    /** Connects and checks the destination; called once before the first write. May block. */
    default void start() throws Exception {}

    /**
     * Delivers the chunk's not-yet-delivered events ({@link Chunk#events()} skips the others). The
     * chunk and its cursors are valid until the returned future completes.
     */
    CompletableFuture<WriteResult> write(Chunk chunk);

    /**
     * What keeps the output from delivering right now and needs a human (e.g. "stream S not found in
     * region R"); empty when healthy. Shown on {@code /health/ready} (which then answers 503) and in
     * the log. Thread-safe and cheap: called on every health check.
     */
    default List<String> healthProblems() {
        return List.of();
    }

    /** Stops the output, waiting a bounded time for in-flight writes. Idempotent. */
    @Override
    default void close() {}
}
