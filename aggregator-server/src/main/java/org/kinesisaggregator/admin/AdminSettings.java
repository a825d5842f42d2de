package org.kinesisaggregator.admin;

import java.util.Objects;

/**
 * Where the admin HTTP endpoint listens and what monitor_agent's listing includes: a
 * {@code <source> @type monitor_agent} (default port {@value #MONITOR_AGENT_PORT}) or
 * {@code @type prometheus} (default port {@value #PROMETHEUS_PORT}) section. Either serves every
 * admin path.
 *
 * @param bind {@code bind}, default 0.0.0.0
 * @param port {@code port}; 0 picks a free port (tests)
 * @param includeConfig monitor_agent's {@code include_config}: the {@code config} field of each plugin
 *     (secrets masked); default true here (Fluentd ≥ 1.19.3 defaults to false)
 * @param includeRetry monitor_agent's {@code include_retry}: the {@code retry} field of buffered
 *     outputs; default true here (Fluentd ≥ 1.19.3 defaults to false)
 */
public record AdminSettings(String bind, int port, boolean includeConfig, boolean includeRetry) {
    public static final int MONITOR_AGENT_PORT = 24220;
    public static final int PROMETHEUS_PORT = 24231;

    public AdminSettings {
        Objects.requireNonNull(bind, "bind");
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port: " + port + " (expected: 0..65535)");
        }
    }

    /** Config and retry fields included. */
    public AdminSettings(String bind, int port) {
        this(bind, port, true, true);
    }
}
