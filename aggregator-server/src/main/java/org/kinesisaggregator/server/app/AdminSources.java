package org.kinesisaggregator.server.app;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.function.Supplier;
import org.kinesisaggregator.admin.AdminSettings;
import org.kinesisaggregator.conf.ConfElement;

/**
 * The admin sources: {@code <source> @type monitor_agent} (Fluentd's, default port 24220) and
 * {@code @type prometheus} (fluent-plugin-prometheus', default port 24231). Either serves every
 * admin path, so a conf pasted from Fluentd keeps its dashboards and health checks working.
 *
 * <p>Stateless; used on the assembling thread.
 */
final class AdminSources {
    private AdminSources() {}

    static boolean isAdmin(String type) {
        return type.equals("monitor_agent") || type.equals("prometheus");
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
        return new AdminSettings(bind, port);
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
