package org.kinesisaggregator.buffer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * A buffer in front of one {@link Output}: appends become durable chunks, flush threads deliver
 * them, failures are retried, nothing acked is lost. See the package documentation for formats
 * and invariants.
 *
 * <p>Lifecycle: construct (no I/O, no threads) → {@link #start()} (lock, recover, start flush
 * threads) → appends → {@link #close()} (stop accepting, seal, flush what
 * {@code flush_at_shutdown} asks within the shutdown timeout, leave the rest on disk).
 */
public interface EventBuffer extends EventSink, AutoCloseable {

    /**
     * Appends events of one tag that share the chunk-key values {@code metadata} (the caller grouped
     * them: see {@link ChunkMetadata}); they go to the staged chunk of (the tag when chunked by tag,
     * {@code metadata}), and the output sees {@code metadata} with the chunk. Otherwise as
     * {@link #append(String, ByteBuffer, int, byte[])}: a re-send's groups are the same groups, so
     * each is recognised as a duplicate on its own.
     */
    CompletableFuture<AppendResult> append(
            String tag, ChunkMetadata metadata, ByteBuffer entries, int eventCount, byte[] dedupKey);

    @Override
    default CompletableFuture<AppendResult> append(String tag, ByteBuffer entries, int eventCount, byte[] dedupKey) {
        return append(tag, ChunkMetadata.NONE, entries, eventCount, dedupKey);
    }

    /** {@link #openStream(String)} for events that share the chunk-key values {@code metadata}. */
    StreamedAppend openStream(String tag, ChunkMetadata metadata);

    @Override
    default StreamedAppend openStream(String tag) {
        return openStream(tag, ChunkMetadata.NONE);
    }

    /** Opens and locks the buffer directory, recovers what is on disk, starts the flush threads. */
    void start() throws IOException;

    /**
     * Fluentd's {@code flush_buffers} (SIGUSR1): seals every staged chunk that holds events, whatever
     * its {@code flush_interval}, and wakes the flush threads. Chunks waiting for a retry keep their
     * retry time (their backoff is not reset). Never blocks.
     *
     * @return completes with the number of chunks sealed once they are queued; exceptionally when the
     *     buffer is not running
     */
    CompletableFuture<Integer> flushNow();

    /** A consistent-enough snapshot for metrics, health and {@code /api/plugins.json}. Never blocks on I/O. */
    BufferStats stats();

    /**
     * Why this buffer cannot take appends now (e.g. its disk is full or read-only: appends are refused until
     * one is stored again), for {@code /health/ready}. Empty when healthy. Never blocks on I/O; thread-safe.
     */
    default List<String> healthProblems() {
        return List.of();
    }

    /** Bounded in time (the settings' shutdown timeout); idempotent; never throws. */
    @Override
    void close();
}
