package org.kinesisaggregator.admin;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import org.kinesisaggregator.buffer.BufferCounters;
import org.kinesisaggregator.buffer.BufferStats;

/**
 * fluent-plugin-prometheus' plugin metrics, under its names and labels, so that dashboards and alerts
 * written for a Fluentd aggregator keep working:
 *
 * <ul>
 *   <li>{@code prometheus_output_monitor}'s {@code fluentd_output_status_*} gauges of each output,
 *       labelled {@code plugin_id} and {@code type} (plus that source's {@code <labels>});
 *   <li>{@code prometheus_monitor}'s {@code fluentd_status_buffer_queue_length},
 *       {@code fluentd_status_buffer_total_bytes} and {@code fluentd_status_retry_count}, labelled
 *       {@code plugin_id}, {@code plugin_category} and {@code type} (plus that source's {@code <labels>}).
 * </ul>
 *
 * <p>They are gauges, as the plugin registers them by default ({@code gauge_all true}), and they are
 * read at scrape time from the same state monitor_agent shows ({@link MonitorInfo}), so they are never
 * stale ({@code interval} has nothing to do). Micrometer names are dotted; the Prometheus registry
 * writes them with underscores, and gauges get no {@code _total} suffix and no unit suffix here.
 *
 * <p>Registered once per application, on the assembling thread; the gauges' functions are
 * thread-safe (they call the plugins' stats suppliers).
 */
public final class FluentdMeters {
    private FluentdMeters() {}

    /**
     * Registers the meters of {@code plugins}.
     *
     * @param outputMonitorLabels constant labels of the {@code fluentd_output_status_*} gauges
     * @param monitorLabels constant labels of the {@code fluentd_status_*} gauges
     */
    public static void register(
            MeterRegistry registry,
            List<PluginInfo> plugins,
            Map<String, String> outputMonitorLabels,
            Map<String, String> monitorLabels) {
        for (PluginInfo p : plugins) {
            if (!p.isOutput()) {
                continue;
            }
            Tags output = tags(outputMonitorLabels).and("plugin_id", p.pluginId(), "type", p.type());
            Tags monitor = tags(monitorLabels)
                    .and("plugin_id", p.pluginId(), "plugin_category", p.category(), "type", p.type());
            if (p.bufferStats() != null) {
                registerBuffer(registry, p, output, monitor);
            } else if (p.outputCounters() != null) {
                registerCounters(registry, p, output);
                gauge(
                        registry,
                        "fluentd.status.retry.count",
                        "Current retry counts.",
                        monitor,
                        p,
                        i -> i.counters().numErrors());
            }
        }
    }

    private static void registerBuffer(MeterRegistry registry, PluginInfo p, Tags output, Tags monitor) {
        buffer(
                registry,
                "fluentd.output.status.buffer.total.bytes",
                "Current total size of stage and queue buffers.",
                output,
                p,
                BufferStats::totalBytes);
        buffer(
                registry,
                "fluentd.output.status.buffer.stage.length",
                "Current length of stage buffers.",
                output,
                p,
                BufferStats::stagedChunks);
        buffer(
                registry,
                "fluentd.output.status.buffer.stage.byte.size",
                "Current total size of stage buffers.",
                output,
                p,
                BufferStats::stagedBytes);
        buffer(
                registry,
                "fluentd.output.status.buffer.queue.length",
                "Current length of queue buffers.",
                output,
                p,
                BufferStats::queuedChunks);
        buffer(
                registry,
                "fluentd.output.status.buffer.queue.byte.size",
                "Current total size of queue buffers.",
                output,
                p,
                BufferStats::queuedBytes);
        buffer(
                registry,
                "fluentd.output.status.buffer.available.space.ratio",
                "Ratio of available space in buffer.",
                output,
                p,
                BufferStats::availableSpacePercent);
        buffer(
                registry,
                "fluentd.output.status.retry.wait",
                "Current retry wait",
                output,
                p,
                MonitorInfo::retryWaitSeconds);
        registerCounters(registry, p, output);

        buffer(
                registry,
                "fluentd.status.buffer.queue.length",
                "Current buffer queue length.",
                monitor,
                p,
                BufferStats::queuedChunks);
        buffer(
                registry,
                "fluentd.status.buffer.total.bytes",
                "Current total size of queued buffers.",
                monitor,
                p,
                BufferStats::totalBytes);
        buffer(
                registry,
                "fluentd.status.retry.count",
                "Current retry counts.",
                monitor,
                p,
                s -> s.counters().numErrors());
    }

    private static void registerCounters(MeterRegistry registry, PluginInfo p, Tags output) {
        counter(
                registry,
                "fluentd.output.status.retry.count",
                "Current retry counts.",
                output,
                p,
                BufferCounters::numErrors);
        counter(
                registry,
                "fluentd.output.status.num.errors",
                "Current number of errors.",
                output,
                p,
                BufferCounters::numErrors);
        counter(
                registry,
                "fluentd.output.status.emit.count",
                "Current emit counts.",
                output,
                p,
                BufferCounters::emitCount);
        counter(
                registry,
                "fluentd.output.status.emit.records",
                "Current emit records.",
                output,
                p,
                BufferCounters::emitRecords);
        counter(
                registry,
                "fluentd.output.status.write.count",
                "Current write counts.",
                output,
                p,
                BufferCounters::writeCount);
        counter(
                registry,
                "fluentd.output.status.rollback.count",
                "Current rollback counts.",
                output,
                p,
                BufferCounters::rollbackCount);
        counter(
                registry,
                "fluentd.output.status.flush.time.count",
                "Total flush time.",
                output,
                p,
                BufferCounters::flushTimeMillis);
        counter(
                registry,
                "fluentd.output.status.slow.flush.count",
                "Current slow flush counts.",
                output,
                p,
                BufferCounters::slowFlushCount);
    }

    private static void buffer(
            MeterRegistry registry,
            String name,
            String help,
            Tags tags,
            PluginInfo p,
            ToDoubleFunction<BufferStats> value) {
        gauge(
                registry,
                name,
                help,
                tags,
                p,
                i -> value.applyAsDouble(i.bufferStats().get()));
    }

    private static void counter(
            MeterRegistry registry,
            String name,
            String help,
            Tags tags,
            PluginInfo p,
            ToDoubleFunction<BufferCounters> value) {
        gauge(registry, name, help, tags, p, i -> value.applyAsDouble(i.counters()));
    }

    private static void gauge(
            MeterRegistry registry,
            String name,
            String help,
            Tags tags,
            PluginInfo p,
            ToDoubleFunction<PluginInfo> value) {
        // strong: the PluginInfo is held by the application too, but a weak gauge reads NaN once collected
        Gauge.builder(name, p, value)
                .description(help)
                .tags(tags)
                .strongReference(true)
                .register(registry);
    }

    private static Tags tags(Map<String, String> labels) {
        List<Tag> list = new ArrayList<>();
        labels.forEach((k, v) -> list.add(Tag.of(k, v)));
        return Tags.of(list);
    }
}
