package org.kinesisaggregator.buffer;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * Everything a buffer is tuned with, validated once. Names are Fluentd v1's {@code <buffer>}
 * parameters with units in the component names; the conf layer maps conf syntax (and v0.12
 * names) onto this record. Limits that Fluentd leaves unset ({@code nil}) are {@code 0} here,
 * meaning "no limit".
 *
 * @param type {@code file} or {@code memory}
 * @param path directory of a file buffer (null for memory)
 * @param ackDurability when an append counts as durable
 * @param chunkKeys how events are grouped into chunks
 * @param chunkLimitBytes {@code chunk_limit_size}
 * @param chunkLimitRecords {@code chunk_limit_records}, 0 = no limit
 * @param chunkFullThreshold {@code chunk_full_threshold}, in (0, 1]
 * @param flushMode {@code flush_mode}
 * @param flushInterval {@code flush_interval}
 * @param flushAtShutdown {@code flush_at_shutdown}
 * @param flushThreadCount {@code flush_thread_count}
 * @param flushThreadInterval {@code flush_thread_interval}: idle wait of a flush thread
 * @param flushThreadBurstInterval {@code flush_thread_burst_interval}: wait between writes when more chunks are ready
 * @param delayedCommitTimeout {@code delayed_commit_timeout}: how long one write may take
 * @param totalLimitBytes {@code total_limit_size}
 * @param queueLimitLength {@code queue_limit_length}, 0 = no limit
 * @param queuedChunksLimitCount {@code queued_chunks_limit_size}: a number of chunks (Fluentd's
 *     parameter is a count despite its name); while this many chunks are queued, {@code flush_interval}
 *     does not seal more (full chunks are still sealed); 0 = no limit
 * @param overflowAction {@code overflow_action}
 * @param retry the {@code retry_*} parameters
 * @param dedupWindow how long forwarder chunk ids are remembered ({@code dedup_window}), zero disables
 * @param dedupMemoryLimitBytes {@code dedup_memory_limit}: the most heap the dedup keys of the window
 *     may take (about 32 bytes per key); when more messages arrive within {@code dedup_window} than
 *     fit, the oldest keys are evicted first and the effective window shrinks (logged, gauged)
 * @param shutdownTimeout how long {@link EventBuffer#close()} may take
 * @param slowFlushLogThreshold {@code slow_flush_log_threshold} (an output parameter in Fluentd): a
 *     write that takes longer is logged and counted
 * @param stagedChunksLimit {@code staged_chunks_limit} (ours; Fluentd has no bound): the most chunks
 *     staged at once, one per distinct tag and chunk-key values ({@link ChunkMetadata}); when an append
 *     needs a new staged chunk while this many are staged, the oldest staged chunk is sealed (queued
 *     for delivery) first, so that the open files and the heap stay bounded whatever the number of
 *     distinct values; default {@link #DEFAULT_STAGED_CHUNKS_LIMIT}
 * @param timekey with the {@code time} chunk key ({@link ChunkMetadata#timekey()} set on the
 *     chunks), the slice length; null without. A staged chunk of a slice is sealed once its slice
 *     has ended and {@code timekeyWait} passed (Fluentd's rule); with {@code flush_mode default}
 *     that is the only rule (Fluentd's {@code lazy}), {@code interval} adds {@code flush_interval}
 * @param timekeyWait {@code timekey_wait} (used with {@code timekey})
 */
public record BufferSettings(
        BufferType type,
        Path path,
        AckDurability ackDurability,
        ChunkKeys chunkKeys,
        long chunkLimitBytes,
        long chunkLimitRecords,
        double chunkFullThreshold,
        FlushMode flushMode,
        Duration flushInterval,
        boolean flushAtShutdown,
        int flushThreadCount,
        Duration flushThreadInterval,
        Duration flushThreadBurstInterval,
        Duration delayedCommitTimeout,
        long totalLimitBytes,
        int queueLimitLength,
        long queuedChunksLimitCount,
        OverflowAction overflowAction,
        RetrySettings retry,
        Duration dedupWindow,
        long dedupMemoryLimitBytes,
        Duration shutdownTimeout,
        Duration slowFlushLogThreshold,
        int stagedChunksLimit,
        Duration timekey,
        Duration timekeyWait) {

    /** Where a buffer keeps its chunks. */
    public enum BufferType {
        FILE,
        MEMORY
    }

    /** When an append is acknowledged. */
    public enum AckDurability {
        /** After fsync (group commit): survives a power loss. */
        FSYNC,
        /** After write(2): survives a process crash, not a power loss (what Fluentd's file buffer gives). */
        WRITE
    }

    /** {@code chunk_keys}: none (any tag in a chunk) or tag (one tag per chunk). */
    public enum ChunkKeys {
        NONE,
        TAG
    }

    /** {@code flush_mode}. */
    public enum FlushMode {
        DEFAULT,
        INTERVAL,
        IMMEDIATE,
        LAZY
    }

    /** {@code overflow_action}. */
    public enum OverflowAction {
        THROW_EXCEPTION,
        BLOCK,
        DROP_OLDEST_CHUNK
    }

    /** The default {@code staged_chunks_limit}. */
    public static final int DEFAULT_STAGED_CHUNKS_LIMIT = 1024;

    public static final long MIB = 1024L * 1024L;
    public static final long GIB = 1024L * MIB;
    /** The smallest {@code dedup_memory_limit}: 1 KiB (32 keys). */
    public static final long MIN_DEDUP_MEMORY_LIMIT_BYTES = 1024;
    /** The largest {@code dedup_memory_limit}: 16 GiB (the key table's arrays stay below 2^31 elements). */
    public static final long MAX_DEDUP_MEMORY_LIMIT_BYTES = 16 * GIB;

    public BufferSettings {
        Objects.requireNonNull(type, "type");
        if (type == BufferType.FILE) {
            Objects.requireNonNull(path, "path (a file buffer needs a directory)");
        }
        Objects.requireNonNull(ackDurability, "ackDurability");
        Objects.requireNonNull(chunkKeys, "chunkKeys");
        checkPositive(chunkLimitBytes, "chunk_limit_size");
        checkNotNegative(chunkLimitRecords, "chunk_limit_records");
        if (!(chunkFullThreshold > 0 && chunkFullThreshold <= 1)) {
            throw new IllegalArgumentException(
                    "chunk_full_threshold: " + chunkFullThreshold + " (expected: > 0 and <= 1)");
        }
        Objects.requireNonNull(flushMode, "flushMode");
        checkPositive(flushInterval, "flush_interval");
        checkPositive(flushThreadCount, "flush_thread_count");
        checkPositive(flushThreadInterval, "flush_thread_interval");
        checkNotNegative(flushThreadBurstInterval, "flush_thread_burst_interval");
        checkPositive(delayedCommitTimeout, "delayed_commit_timeout");
        checkPositive(totalLimitBytes, "total_limit_size");
        if (totalLimitBytes < chunkLimitBytes) {
            throw new IllegalArgumentException("total_limit_size: " + totalLimitBytes
                    + " (expected: >= chunk_limit_size " + chunkLimitBytes + ")");
        }
        checkNotNegative(queueLimitLength, "queue_limit_length");
        checkNotNegative(queuedChunksLimitCount, "queued_chunks_limit_size");
        Objects.requireNonNull(overflowAction, "overflowAction");
        Objects.requireNonNull(retry, "retry");
        checkNotNegative(dedupWindow, "dedup_window");
        if (dedupMemoryLimitBytes < MIN_DEDUP_MEMORY_LIMIT_BYTES
                || dedupMemoryLimitBytes > MAX_DEDUP_MEMORY_LIMIT_BYTES) {
            throw new IllegalArgumentException("dedup_memory_limit: " + dedupMemoryLimitBytes + " (expected: >= "
                    + MIN_DEDUP_MEMORY_LIMIT_BYTES + " and <= " + MAX_DEDUP_MEMORY_LIMIT_BYTES
                    + " bytes; about 32 bytes per key)");
        }
        checkPositive(shutdownTimeout, "shutdown_timeout");
        checkPositive(slowFlushLogThreshold, "slow_flush_log_threshold");
        checkPositive(stagedChunksLimit, "staged_chunks_limit");
        if (timekey != null) {
            checkPositive(timekey, "timekey");
        }
        Objects.requireNonNull(timekeyWait, "timekeyWait");
        checkNotNegative(timekeyWait, "timekey_wait");
    }

    /** True when {@code flush_interval} seals staged chunks: {@code interval}, or {@code default} without a time key. */
    public boolean flushesByInterval() {
        return flushMode == FlushMode.INTERVAL || (flushMode == FlushMode.DEFAULT && timekey == null);
    }

    /** Fluentd's defaults for {@code type}, in {@code path} (null for memory). */
    public static Builder builder(BufferType type, Path path) {
        return new Builder(type, path);
    }

    public Builder toBuilder() {
        Builder b = new Builder(type, path);
        b.ackDurability = ackDurability;
        b.chunkKeys = chunkKeys;
        b.chunkLimitBytes = chunkLimitBytes;
        b.chunkLimitRecords = chunkLimitRecords;
        b.chunkFullThreshold = chunkFullThreshold;
        b.flushMode = flushMode;
        b.flushInterval = flushInterval;
        b.flushAtShutdown = flushAtShutdown;
        b.flushThreadCount = flushThreadCount;
        b.flushThreadInterval = flushThreadInterval;
        b.flushThreadBurstInterval = flushThreadBurstInterval;
        b.delayedCommitTimeout = delayedCommitTimeout;
        b.totalLimitBytes = totalLimitBytes;
        b.queueLimitLength = queueLimitLength;
        b.queuedChunksLimitCount = queuedChunksLimitCount;
        b.overflowAction = overflowAction;
        b.retry = retry;
        b.dedupWindow = dedupWindow;
        b.dedupMemoryLimitBytes = dedupMemoryLimitBytes;
        b.shutdownTimeout = shutdownTimeout;
        b.slowFlushLogThreshold = slowFlushLogThreshold;
        b.stagedChunksLimit = stagedChunksLimit;
        b.timekey = timekey;
        b.timekeyWait = timekeyWait;
        return b;
    }

    private static void checkPositive(long value, String name) {
        if (value <= 0) {
            throw new IllegalArgumentException(name + ": " + value + " (expected: > 0)");
        }
    }

    private static void checkNotNegative(long value, String name) {
        if (value < 0) {
            throw new IllegalArgumentException(name + ": " + value + " (expected: >= 0)");
        }
    }

    private static void checkPositive(Duration value, String name) {
        Objects.requireNonNull(value, name);
        if (value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(name + ": " + value + " (expected: > 0)");
        }
    }

    private static void checkNotNegative(Duration value, String name) {
        Objects.requireNonNull(value, name);
        if (value.isNegative()) {
            throw new IllegalArgumentException(name + ": " + value + " (expected: >= 0)");
        }
    }

    /** Mutable builder starting from Fluentd's defaults; {@link #build()} validates. */
    public static final class Builder {
        private final BufferType type;
        private final Path path;
        private AckDurability ackDurability = AckDurability.FSYNC;
        private ChunkKeys chunkKeys = ChunkKeys.NONE;
        private long chunkLimitBytes;
        private long chunkLimitRecords = 0;
        private double chunkFullThreshold = 0.95;
        private FlushMode flushMode = FlushMode.DEFAULT;
        private Duration flushInterval = Duration.ofSeconds(60);
        private boolean flushAtShutdown;
        private int flushThreadCount = 1;
        private Duration flushThreadInterval = Duration.ofSeconds(1);
        private Duration flushThreadBurstInterval = Duration.ofSeconds(1);
        private Duration delayedCommitTimeout = Duration.ofSeconds(60);
        private long totalLimitBytes;
        private int queueLimitLength = 0;
        private long queuedChunksLimitCount = 0;
        private OverflowAction overflowAction = OverflowAction.THROW_EXCEPTION;
        private RetrySettings retry = RetrySettings.defaults();
        private Duration dedupWindow = Duration.ofMinutes(10);
        private long dedupMemoryLimitBytes = 32 * MIB;
        private Duration shutdownTimeout = Duration.ofSeconds(30);
        private Duration slowFlushLogThreshold = Duration.ofSeconds(20);
        private int stagedChunksLimit = DEFAULT_STAGED_CHUNKS_LIMIT;
        private Duration timekey;
        private Duration timekeyWait = Duration.ofMinutes(10);

        private Builder(BufferType type, Path path) {
            this.type = Objects.requireNonNull(type, "type");
            this.path = path;
            boolean file = type == BufferType.FILE;
            this.chunkLimitBytes = file ? 256 * MIB : 8 * MIB;
            this.totalLimitBytes = file ? 64 * GIB : 512 * MIB;
            // Fluentd: flush_at_shutdown defaults to true for memory buffers, false for persistent ones.
            this.flushAtShutdown = !file;
        }

        public Builder ackDurability(AckDurability v) {
            this.ackDurability = v;
            return this;
        }

        public Builder chunkKeys(ChunkKeys v) {
            this.chunkKeys = v;
            return this;
        }

        public Builder chunkLimitBytes(long v) {
            this.chunkLimitBytes = v;
            return this;
        }

        public Builder chunkLimitRecords(long v) {
            this.chunkLimitRecords = v;
            return this;
        }

        public Builder chunkFullThreshold(double v) {
            this.chunkFullThreshold = v;
            return this;
        }

        public Builder flushMode(FlushMode v) {
            this.flushMode = v;
            return this;
        }

        public Builder flushInterval(Duration v) {
            this.flushInterval = v;
            return this;
        }

        public Builder flushAtShutdown(boolean v) {
            this.flushAtShutdown = v;
            return this;
        }

        public Builder flushThreadCount(int v) {
            this.flushThreadCount = v;
            return this;
        }

        public Builder flushThreadInterval(Duration v) {
            this.flushThreadInterval = v;
            return this;
        }

        public Builder flushThreadBurstInterval(Duration v) {
            this.flushThreadBurstInterval = v;
            return this;
        }

        public Builder delayedCommitTimeout(Duration v) {
            this.delayedCommitTimeout = v;
            return this;
        }

        public Builder totalLimitBytes(long v) {
            this.totalLimitBytes = v;
            return this;
        }

        public Builder queueLimitLength(int v) {
            this.queueLimitLength = v;
            return this;
        }

        public Builder queuedChunksLimitCount(long v) {
            this.queuedChunksLimitCount = v;
            return this;
        }

        public Builder overflowAction(OverflowAction v) {
            this.overflowAction = v;
            return this;
        }

        public Builder retry(RetrySettings v) {
            this.retry = v;
            return this;
        }

        public Builder dedupWindow(Duration v) {
            this.dedupWindow = v;
            return this;
        }

        public Builder dedupMemoryLimitBytes(long v) {
            this.dedupMemoryLimitBytes = v;
            return this;
        }

        public Builder stagedChunksLimit(int v) {
            this.stagedChunksLimit = v;
            return this;
        }

        public Builder slowFlushLogThreshold(Duration v) {
            this.slowFlushLogThreshold = v;
            return this;
        }

        public Builder shutdownTimeout(Duration v) {
            this.shutdownTimeout = v;
            return this;
        }

        /** The {@code time} chunk key's {@code timekey} and {@code timekey_wait}; null timekey: none. */
        public Builder timeSlices(Duration timekey, Duration timekeyWait) {
            this.timekey = timekey;
            this.timekeyWait = timekeyWait;
            return this;
        }

        public BufferSettings build() {
            return new BufferSettings(
                    type,
                    path,
                    ackDurability,
                    chunkKeys,
                    chunkLimitBytes,
                    chunkLimitRecords,
                    chunkFullThreshold,
                    flushMode,
                    flushInterval,
                    flushAtShutdown,
                    flushThreadCount,
                    flushThreadInterval,
                    flushThreadBurstInterval,
                    delayedCommitTimeout,
                    totalLimitBytes,
                    queueLimitLength,
                    queuedChunksLimitCount,
                    overflowAction,
                    retry,
                    dedupWindow,
                    dedupMemoryLimitBytes,
                    shutdownTimeout,
                    slowFlushLogThreshold,
                    stagedChunksLimit,
                    timekey,
                    timekeyWait);
        }
    }
}
