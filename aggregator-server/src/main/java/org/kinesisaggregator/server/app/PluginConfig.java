package org.kinesisaggregator.server.app;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.kinesisaggregator.conf.ConfElement;
import org.kinesisaggregator.conf.ConfParam;

/**
 * A section's parameters as {@code /api/plugins.json} shows them, secrets masked. Stateless.
 */
final class PluginConfig {
    private static final Set<String> SECRETS = Set.of(
            "shared_key",
            "password",
            "aws_key_id",
            "aws_sec_key",
            "private_key_passphrase",
            "proxy_password",
            "aws_session_token");

    private PluginConfig() {}

    static Map<String, String> of(ConfElement e) {
        Map<String, String> config = new LinkedHashMap<>();
        for (ConfParam p : e.params().values()) {
            config.put(p.name(), SECRETS.contains(p.name()) ? "xxxxxx" : p.value());
        }
        return config;
    }
}
