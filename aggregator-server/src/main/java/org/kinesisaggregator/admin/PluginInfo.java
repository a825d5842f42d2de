package org.kinesisaggregator.admin;

import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;
import org.kinesisaggregator.buffer.BufferCounters;
import org.kinesisaggregator.buffer.BufferStats;

/**
 * One plugin as {@code /api/plugins.json} shows it (Fluentd's monitor_agent shape), and what the
 * {@code fluentd_*} meters read.
 *
 * @param pluginId {@code @id}, or a generated id
 * @param category {@code input}, {@code output} or {@code filter}
 * @param type the {@code @type}
 * @param config the section's parameters as written (secrets already masked by the caller)
 * @param bufferStats the buffer's state (with its counters) for a buffered output, null otherwise
 * @param outputCounters an unbuffered output's counters, null otherwise
 * @param ingest an input's counts of events it took in, null when it takes in none
 */
public record PluginInfo(
        String pluginId,
        String category,
        String type,
        Map<String, String> config,
        Supplier<BufferStats> bufferStats,
        Supplier<BufferCounters> outputCounters,
        Supplier<IngestCounts> ingest) {
    public PluginInfo {
        Objects.requireNonNull(pluginId, "pluginId");
        Objects.requireNonNull(category, "category");
        Objects.requireNonNull(type, "type");
        config = Map.copyOf(config);
    }

    /** A plugin with no counters but its buffer's (if any). */
    public PluginInfo(
            String pluginId,
            String category,
            String type,
            Map<String, String> config,
            Supplier<BufferStats> bufferStats) {
        this(pluginId, category, type, config, bufferStats, null, null);
    }

    public boolean isOutput() {
        return category.equals("output");
    }

    /** The output's counters: its buffer's, or the unbuffered output's; null for other plugins. */
    public BufferCounters counters() {
        if (bufferStats != null) {
            return bufferStats.get().counters();
        }
        return outputCounters == null ? null : outputCounters.get();
    }

    /**
     * What an input took in since start (Fluentd's {@code emit_records} and {@code emit_size} of an input).
     *
     * @param records events accepted (acked or, without acks, handed on)
     * @param bytes bytes of their entries
     */
    public record IngestCounts(long records, long bytes) {}
}
