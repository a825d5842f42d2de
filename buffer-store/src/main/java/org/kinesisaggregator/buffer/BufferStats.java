package org.kinesisaggregator.buffer;

import java.util.Objects;

/**
 * A snapshot of a buffer's state.
 *
 * @param stagedChunks chunks still taking appends
 * @param queuedChunks sealed chunks waiting for (or in) delivery
 * @param totalBytes bytes held (staged + queued, and streamed appends not yet published)
 * @param totalEvents events held and not yet delivered
 * @param retryCount retries of the chunk that has failed most, 0 when none is failing (Fluentd's
 *     {@code retry.steps})
 * @param oldestChunkAgeMillis age of the oldest chunk held, 0 when empty
 * @param stagedBytes bytes of the staged chunks
 * @param queuedBytes bytes of the queued chunks
 * @param totalLimitBytes {@code total_limit_size}, 0 when unknown
 * @param retryStartEpochMillis when the chunk that has failed most first failed, 0 when none is failing
 * @param retryNextEpochMillis when that chunk is tried next, 0 when none is failing
 * @param counters what the output has done since start
 */
public record BufferStats(
        int stagedChunks,
        int queuedChunks,
        long totalBytes,
        long totalEvents,
        int retryCount,
        long oldestChunkAgeMillis,
        long stagedBytes,
        long queuedBytes,
        long totalLimitBytes,
        long retryStartEpochMillis,
        long retryNextEpochMillis,
        BufferCounters counters) {
    public BufferStats {
        Objects.requireNonNull(counters, "counters");
    }

    /** The state alone (no byte split, no limit, no retry times, no counters). */
    public BufferStats(
            int stagedChunks,
            int queuedChunks,
            long totalBytes,
            long totalEvents,
            int retryCount,
            long oldestChunkAgeMillis) {
        this(
                stagedChunks,
                queuedChunks,
                totalBytes,
                totalEvents,
                retryCount,
                oldestChunkAgeMillis,
                0,
                0,
                0,
                0,
                0,
                BufferCounters.ZERO);
    }

    /** The same state with {@code counters} and {@code totalLimitBytes}. */
    public BufferStats with(BufferCounters newCounters, long newTotalLimitBytes) {
        return new BufferStats(
                stagedChunks,
                queuedChunks,
                totalBytes,
                totalEvents,
                retryCount,
                oldestChunkAgeMillis,
                stagedBytes,
                queuedBytes,
                newTotalLimitBytes,
                retryStartEpochMillis,
                retryNextEpochMillis,
                newCounters);
    }

    /**
     * Fluentd's {@code buffer_available_buffer_space_ratios}: the free part of {@code total_limit_size}
     * in percent (100.0 when empty or when the limit is unknown), never below 0.
     */
    public double availableSpacePercent() {
        if (totalLimitBytes <= 0) {
            return 100.0;
        }
        return Math.max(0.0, (1.0 - (double) totalBytes / totalLimitBytes) * 100.0);
    }
}
