package org.kinesisaggregator.admin;

import java.util.Objects;

/**
 * Where the admin HTTP endpoint listens: a {@code <source> @type monitor_agent} (default port
 * {@value #MONITOR_AGENT_PORT}) or {@code @type prometheus} (default port {@value #PROMETHEUS_PORT})
 * section. Either serves every admin path.
 *
 * @param bind {@code bind}, default 0.0.0.0
 * @param port {@code port}; 0 picks a free port (tests)
 */
public record AdminSettings(String bind, int port) {
    public static final int MONITOR_AGENT_PORT = 24220;
    public static final int PROMETHEUS_PORT = 24231;

    public AdminSettings {
        Objects.requireNonNull(bind, "bind");
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port: " + port + " (expected: 0..65535)");
        }
    }
}
