package org.kinesisaggregator.buffer;

/**
 * A snapshot of a buffer's state.
 *
 * @param stagedChunks chunks still taking appends
 * @param queuedChunks sealed chunks waiting for (or in) delivery
 * @param totalBytes bytes held (staged + queued)
 * @param totalEvents events held and not yet delivered
 * @param retryCount retries of the chunk that has failed most, 0 when none is failing
 * @param oldestChunkAgeMillis age of the oldest chunk held, 0 when empty
 */
public record BufferStats(
        int stagedChunks,
        int queuedChunks,
        long totalBytes,
        long totalEvents,
        int retryCount,
        long oldestChunkAgeMillis) {}
