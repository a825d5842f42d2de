package org.kinesisaggregator.admin;

import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;
import org.kinesisaggregator.buffer.BufferStats;

/**
 * One plugin as {@code /api/plugins.json} shows it (Fluentd's monitor_agent shape).
 *
 * @param pluginId {@code @id}, or a generated id
 * @param category {@code input}, {@code output} or {@code filter}
 * @param type the {@code @type}
 * @param config the section's parameters as written (secrets already masked by the caller)
 * @param bufferStats the buffer's state for a buffered output, null otherwise
 */
public record PluginInfo(
        String pluginId, String category, String type, Map<String, String> config, Supplier<BufferStats> bufferStats) {
    public PluginInfo {
        Objects.requireNonNull(pluginId, "pluginId");
        Objects.requireNonNull(category, "category");
        Objects.requireNonNull(type, "type");
        config = Map.copyOf(config);
    }
}
