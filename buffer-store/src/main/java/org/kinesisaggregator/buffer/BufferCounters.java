package org.kinesisaggregator.buffer;

/**
 * What an output has done since its buffer started, as Fluentd's output plugins count it (the
 * {@code emit_*}, {@code write_count}, {@code rollback_count} ... fields of monitor_agent). Every
 * value only grows; a restart (or a conf reload) starts again from zero, as Fluentd's do.
 *
 * @param emitCount appends offered to the output (stored, duplicate or refused)
 * @param emitRecords events of the appends it stored
 * @param emitBytes bytes of entries of the appends it stored
 * @param writeCount writes of a chunk to the output or its secondary (attempts, whatever their result)
 * @param writeSecondaryCount those of them to the {@code <secondary>}
 * @param rollbackCount writes that left events of the chunk pending: the chunk went back to the
 *     queue for a retry (or, retries exhausted, to the secondary path)
 * @param numErrors failed writes (Fluentd's {@code num_errors}, which monitor_agent shows as
 *     {@code retry_count}); here the same writes as {@code rollbackCount}
 * @param slowFlushCount writes that took longer than {@code slow_flush_log_threshold}
 * @param flushTimeMillis time spent in writes, in milliseconds
 * @param dropOldestChunkCount chunks dropped by {@code overflow_action drop_oldest_chunk}
 */
public record BufferCounters(
        long emitCount,
        long emitRecords,
        long emitBytes,
        long writeCount,
        long writeSecondaryCount,
        long rollbackCount,
        long numErrors,
        long slowFlushCount,
        long flushTimeMillis,
        long dropOldestChunkCount) {
    /** Nothing done yet. */
    public static final BufferCounters ZERO = new BufferCounters(0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
}
