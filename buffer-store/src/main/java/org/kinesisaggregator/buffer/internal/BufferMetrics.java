package org.kinesisaggregator.buffer.internal;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.kinesisaggregator.buffer.BufferCounters;
import org.kinesisaggregator.buffer.BufferStats;
import org.kinesisaggregator.buffer.internal.dedup.DedupWindow;

/**
 * The buffer's meters, all tagged {@code output=<output id>} and {@code type=file|memory} (bounded:
 * one set per configured output). Names are dotted lowercase; see docs/buffer.md for the list.
 *
 * <p>Gauges hold their {@code stats} supplier strongly: Micrometer keeps a gauge's target weakly by
 * default, and a supplier that only the gauge references is collected, after which the gauge reads
 * NaN on /metrics.
 *
 * <p>Thread-safe (Micrometer meters are).
 */
public final class BufferMetrics {
    public final Counter appendsStored;
    public final Counter appendsDuplicate;
    public final Counter dedupHits;
    public final Counter dedupEvictions;
    public final Counter appendsRefused;
    public final Counter appendBytes;
    public final Counter appendEvents;
    public final Counter fsyncs;
    public final Counter fsyncFailures;
    public final Timer fsyncLatency;
    public final Counter chunksSealed;
    public final Counter stagedLimitSeals;
    public final Counter flushAttempts;
    public final Counter flushSuccesses;
    public final Counter flushFailures;
    public final Counter flushSecondaryAttempts;
    public final Counter slowFlushes;
    public final Timer flushLatency;
    public final Counter retries;
    public final Counter eventsDelivered;
    public final Counter eventsRejected;
    public final Counter chunksDropped;
    public final Counter eventsDropped;
    public final Counter chunksFailed;
    public final Counter eventsFailed;
    public final Counter eventsToSecondary;
    public final Counter recoveryTruncatedBytes;
    public final Counter recoverySkippedBytes;

    private final MeterRegistry registry;
    private final Tags tags;

    public BufferMetrics(MeterRegistry registry, String outputId, String type, Supplier<BufferStats> stats) {
        this.registry = registry;
        Tags tags = Tags.of("output", outputId, "type", type);
        this.tags = tags;
        appendsStored = Counter.builder("buffer.appends")
                .tags(tags)
                .tag("result", "stored")
                .description("appends accepted")
                .register(registry);
        appendsDuplicate = Counter.builder("buffer.appends")
                .tags(tags)
                .tag("result", "duplicate")
                .description("appends acked without storing: dedup key seen within dedup_window")
                .register(registry);
        dedupHits = Counter.builder("buffer.dedup.hits")
                .tags(tags)
                .description("re-sends (same chunk id, tag and entries within dedup_window) acked without storing")
                .register(registry);
        dedupEvictions = Counter.builder("buffer.dedup.evictions")
                .tags(tags)
                .description("dedup keys evicted inside dedup_window because dedup_memory_limit was full")
                .register(registry);
        appendsRefused = Counter.builder("buffer.appends")
                .tags(tags)
                .tag("result", "refused")
                .description("appends refused (overflow, too large, I/O error)")
                .register(registry);
        appendBytes = Counter.builder("buffer.append.bytes")
                .tags(tags)
                .baseUnit("bytes")
                .register(registry);
        appendEvents = Counter.builder("buffer.append.events").tags(tags).register(registry);
        fsyncs = Counter.builder("buffer.fsyncs").tags(tags).register(registry);
        fsyncFailures = Counter.builder("buffer.fsync.failures")
                .tags(tags)
                .description("chunk fsyncs that failed or left the file shorter than written; each seals its chunk")
                .register(registry);
        fsyncLatency = Timer.builder("buffer.fsync.latency").tags(tags).register(registry);
        chunksSealed = Counter.builder("buffer.chunks.sealed").tags(tags).register(registry);
        stagedLimitSeals = Counter.builder("buffer.chunks.sealed.staged_limit")
                .tags(tags)
                .description("staged chunks sealed early because staged_chunks_limit chunks (distinct tag and"
                        + " chunk-key values) were staged")
                .register(registry);
        flushAttempts = Counter.builder("buffer.flush.attempts").tags(tags).register(registry);
        flushSuccesses = Counter.builder("buffer.flush.successes").tags(tags).register(registry);
        flushFailures = Counter.builder("buffer.flush.failures").tags(tags).register(registry);
        flushSecondaryAttempts = Counter.builder("buffer.flush.secondary.attempts")
                .tags(tags)
                .description("writes of a chunk to the <secondary> output (part of buffer.flush.attempts)")
                .register(registry);
        slowFlushes = Counter.builder("buffer.flush.slow")
                .tags(tags)
                .description("writes that took longer than slow_flush_log_threshold")
                .register(registry);
        flushLatency = Timer.builder("buffer.flush.latency")
                .tags(tags)
                .description("time of one write of a chunk to the output, whatever its result")
                .publishPercentileHistogram()
                .register(registry);
        retries = Counter.builder("buffer.retries").tags(tags).register(registry);
        eventsDelivered = Counter.builder("buffer.events.delivered").tags(tags).register(registry);
        eventsRejected = Counter.builder("buffer.events.rejected").tags(tags).register(registry);
        chunksDropped = Counter.builder("buffer.chunks.dropped")
                .tags(tags)
                .description("chunks dropped by overflow_action drop_oldest_chunk (moved to failed/)")
                .register(registry);
        eventsDropped = Counter.builder("buffer.events.dropped").tags(tags).register(registry);
        chunksFailed = Counter.builder("buffer.chunks.failed")
                .tags(tags)
                .description("chunks (or parts) moved to failed/")
                .register(registry);
        eventsFailed = Counter.builder("buffer.events.failed").tags(tags).register(registry);
        eventsToSecondary =
                Counter.builder("buffer.events.secondary").tags(tags).register(registry);
        recoveryTruncatedBytes = Counter.builder("buffer.recovery.truncated.bytes")
                .tags(tags)
                .baseUnit("bytes")
                .register(registry);
        recoverySkippedBytes = Counter.builder("buffer.recovery.skipped.bytes")
                .tags(tags)
                .baseUnit("bytes")
                .description("corrupt bytes in the middle of chunk files skipped by recovery (later frames kept)")
                .register(registry);
        Gauge.builder("buffer.bytes", stats, s -> s.get().totalBytes())
                .tags(tags)
                .baseUnit("bytes")
                .strongReference(true)
                .register(registry);
        Gauge.builder("buffer.events", stats, s -> s.get().totalEvents())
                .tags(tags)
                .strongReference(true)
                .register(registry);
        Gauge.builder("buffer.chunks", stats, s -> s.get().stagedChunks())
                .tags(tags)
                .tag("state", "staged")
                .strongReference(true)
                .register(registry);
        Gauge.builder("buffer.chunks", stats, s -> s.get().queuedChunks())
                .tags(tags)
                .tag("state", "queued")
                .strongReference(true)
                .register(registry);
        Gauge.builder("buffer.queue.length", stats, s -> s.get().queuedChunks())
                .tags(tags)
                .strongReference(true)
                .register(registry);
        Gauge.builder("buffer.retry.count", stats, s -> s.get().retryCount())
                .tags(tags)
                .strongReference(true)
                .register(registry);
        Gauge.builder("buffer.oldest.chunk.age", stats, s -> s.get().oldestChunkAgeMillis() / 1000.0)
                .tags(tags)
                .baseUnit("seconds")
                .strongReference(true)
                .register(registry);
    }

    /**
     * Fluentd's output counters, read from this buffer's meters (cumulative since they were
     * registered; the registry must keep counts, as the Prometheus and simple registries do).
     */
    BufferCounters counters() {
        return new BufferCounters(
                count(appendsStored) + count(appendsDuplicate) + count(appendsRefused),
                count(appendEvents),
                count(appendBytes),
                count(flushAttempts),
                count(flushSecondaryAttempts),
                count(flushFailures),
                count(flushFailures),
                count(slowFlushes),
                (long) flushLatency.totalTime(TimeUnit.MILLISECONDS),
                count(chunksDropped));
    }

    private static long count(Counter c) {
        return (long) c.count();
    }

    /** The dedup window's gauges; registered once it exists (at start). */
    public void registerDedup(DedupWindow dedup) {
        Gauge.builder("buffer.dedup.window.effective", dedup, DedupWindow::effectiveWindowSeconds)
                .tags(tags)
                .baseUnit("seconds")
                .description("how far back re-sends are detected: dedup_window, less when dedup_memory_limit is full")
                .register(registry);
        Gauge.builder("buffer.dedup.keys", dedup, DedupWindow::keys)
                .tags(tags)
                .description("dedup keys held")
                .register(registry);
        Gauge.builder("buffer.dedup.capacity", dedup, DedupWindow::capacity)
                .tags(tags)
                .description("dedup keys dedup_memory_limit holds")
                .register(registry);
    }

    /** Removes this buffer's meters (a buffer re-created under the same output id registers fresh ones). */
    public void close() {
        for (Meter m : registry.getMeters()) {
            if (m.getId().getName().startsWith("buffer.")
                    && m.getId().getTags().containsAll(tags.stream().toList())) {
                registry.remove(m);
            }
        }
    }
}
