package org.kinesisaggregator.server.app;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;
import org.kinesisaggregator.admin.AdminSettings;
import org.kinesisaggregator.conf.ConfElement;
import org.kinesisaggregator.conf.ConfParam;

/**
 * The admin sources: {@code <source> @type monitor_agent} (Fluentd's, default port 24220) and
 * {@code @type prometheus} (fluent-plugin-prometheus', default port 24231). Either serves every
 * admin path, so a conf pasted from Fluentd keeps its dashboards and health checks working.
 *
 * <p>fluent-plugin-prometheus' {@code @type prometheus_monitor} and {@code prometheus_output_monitor}
 * open no port: in Fluentd they put the plugins' state into the registry that {@code @type prometheus}
 * serves. Here the {@code fluentd_status_*} and {@code fluentd_output_status_*} gauges exist whether or
 * not they are configured (read at scrape time), on every admin source's {@code /metrics}; these
 * sources add their {@code <labels>} to them, and their {@code interval} has nothing to do.
 *
 * <p>Stateless; used on the assembling thread.
 */
final class AdminSources {
    static final String PROMETHEUS_MONITOR = "prometheus_monitor";
    static final String PROMETHEUS_OUTPUT_MONITOR = "prometheus_output_monitor";

    private AdminSources() {}

    /** {@code @type monitor_agent} and {@code prometheus} ({@link Plugins#sources()}): an admin endpoint. */
    static void addAdmin(SourceSection source) {
        source.admin(settings(source.element(), source.type()));
    }

    /** {@code @type prometheus_monitor} and {@code prometheus_output_monitor} ({@link Plugins#sources()}): labels. */
    static void addMonitor(SourceSection source) {
        Map<String, String> labels =
                monitorLabels(source.element(), source.type(), source.env().hostname());
        source.monitorLabels(labels, !source.type().equals(PROMETHEUS_MONITOR));
    }

    /**
     * The {@code <labels>} of a {@code prometheus_monitor} or {@code prometheus_output_monitor} source,
     * {@code ${hostname}} and {@code ${worker_id}} expanded as the plugin does; marks {@code interval} used.
     */
    static Map<String, String> monitorLabels(ConfElement e, String type, String hostname) {
        e.time("interval", Duration.ofSeconds(5)); // the gauges are read at scrape time
        e.bool("gauge_all", true); // they are gauges, as with the default
        Map<String, String> labels = new LinkedHashMap<>();
        for (ConfElement section : e.elements("labels")) {
            section.markUsed();
            for (ConfParam p : section.params().values()) {
                String v = section.string(p.name(), "");
                if (v.startsWith("$.") || v.startsWith("$[")) {
                    throw section.error(
                            p.name(),
                            "record accessor syntax is not available in " + type
                                    + " (expected: a constant, ${hostname} or ${worker_id})");
                }
                if (!p.name().matches("[a-zA-Z_][a-zA-Z0-9_]*")
                        || p.name().equals("plugin_id")
                        || p.name().equals("type")
                        || p.name().equals("plugin_category")) {
                    throw section.error(
                            p.name(),
                            "is not a label name this source can add (expected: [a-zA-Z_][a-zA-Z0-9_]*, not"
                                    + " plugin_id, plugin_category or type)");
                }
                String expanded = v.replace("${hostname}", hostname).replace("${worker_id}", "0");
                if (expanded.contains("${")) {
                    throw section.error(
                            p.name(), "\"" + v + "\": unknown placeholder (expected: ${hostname} or ${worker_id})");
                }
                labels.put(p.name(), expanded);
            }
        }
        return labels;
    }

    /** Maps {@code bind} and {@code port}; fluent-plugin-prometheus' {@code metrics_path} must stay /metrics. */
    static AdminSettings settings(ConfElement e, String type) {
        boolean prometheus = type.equals("prometheus");
        String bind = e.string("bind", "0.0.0.0");
        int port = e.integer(
                "port", prometheus ? AdminSettings.PROMETHEUS_PORT : AdminSettings.MONITOR_AGENT_PORT, 0, 65535);
        if (prometheus) {
            String path = e.string("metrics_path", "/metrics");
            if (!path.equals("/metrics")) {
                throw e.error(
                        "metrics_path",
                        "\"" + path + "\" is not supported (expected: /metrics, where the admin"
                                + " endpoint serves the metrics)");
            }
        }
        boolean includeConfig = true;
        boolean includeRetry = true;
        if (!prometheus) {
            includeConfig = e.bool("include_config", true);
            includeRetry = e.bool("include_retry", true);
        }
        return new AdminSettings(bind, port, includeConfig, includeRetry);
    }

    /** The Prometheus text of {@code registry}, or a comment saying why there is none. */
    static Supplier<String> metricsText(MeterRegistry registry) {
        PrometheusMeterRegistry prometheus = find(registry);
        if (prometheus == null) {
            return () -> "# this process' meter registry does not export Prometheus text\n";
        }
        return prometheus::scrape;
    }

    private static PrometheusMeterRegistry find(MeterRegistry registry) {
        if (registry instanceof PrometheusMeterRegistry p) {
            return p;
        }
        if (registry instanceof CompositeMeterRegistry composite) {
            for (MeterRegistry r : composite.getRegistries()) {
                PrometheusMeterRegistry p = find(r);
                if (p != null) {
                    return p;
                }
            }
        }
        return null;
    }
}
