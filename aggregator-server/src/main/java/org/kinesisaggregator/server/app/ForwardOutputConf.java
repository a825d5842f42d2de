package org.kinesisaggregator.server.app;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.BiConsumer;
import org.kinesisaggregator.buffer.EventSink;
import org.kinesisaggregator.conf.ConfElement;
import org.kinesisaggregator.conf.ConfException;
import org.kinesisaggregator.server.output.OutputDefaults;
import org.kinesisaggregator.server.output.forward.ForwardOutput;
import org.kinesisaggregator.server.output.forward.ForwardOutputSettings;
import org.kinesisaggregator.server.output.forward.ForwardOutputSettings.Heartbeat;

/**
 * The mapping of {@code <match> @type forward} (Fluentd's out_forward names) onto
 * {@link ForwardOutputSettings}. It lives here because only {@code .conf} and {@code .server.app}
 * read conf syntax (ArchitectureTest). Errors name file, line and parameter. Stateless.
 */
public final class ForwardOutputConf {
    /** out_forward's buffer: always buffered, the buffer's own defaults. */
    public static final OutputDefaults DEFAULTS = OutputDefaults.buffered();

    private ForwardOutputConf() {}

    /** The {@code forward} output factory. */
    public static EventSink create(ConfElement e, OutputContext ctx) {
        ForwardOutputSettings settings = settings(e, ctx.hostname(), ctx::warn);
        for (String p : List.of("phi_failure_detector", "phi_threshold", "recover_wait")) {
            if (e.has(p)) {
                e.string(p, null);
                ctx.warn(p, "has no effect: a failed server is left out for hard_timeout, then tried again");
            }
        }
        for (String p : List.of("expire_dns_cache", "dns_round_robin", "verify_connection_at_startup")) {
            if (e.has(p)) {
                e.string(p, null);
                ctx.warn(p, "has no effect (names are resolved on every connect)");
            }
        }
        ctx.note("forwards to "
                + String.join(
                        ", ",
                        settings.servers().stream()
                                .map(s -> s.label() + (s.standby() ? " (standby)" : "") + " weight " + s.weight())
                                .toList())
                + (settings.requireAckResponse() ? ", require_ack_response" : "")
                + (settings.gzip() ? ", gzip" : "")
                + (settings.tls() != null ? ", tls" : ""));
        return ctx.terminal(new ForwardOutput(ctx.outputId(), settings, ctx.registry(), new SecureRandom()), DEFAULTS);
    }

    /**
     * The settings of one {@code @type forward} output element.
     *
     * @param hostname {@code self_hostname}'s default
     * @param warn receives (parameter, message) conf warnings
     */
    public static ForwardOutputSettings settings(ConfElement e, String hostname, BiConsumer<String, String> warn) {
        List<ConfElement> serverElements = e.elements("server");
        if (serverElements.isEmpty()) {
            throw e.error("has no <server> (expected: at least one <server> section with host and port)");
        }
        List<ForwardOutputSettings.Server> servers = new ArrayList<>();
        for (ConfElement s : serverElements) {
            try {
                servers.add(new ForwardOutputSettings.Server(
                        s.requiredString("host"),
                        s.integer("port", 24224, 1, 65535),
                        s.string("name", null),
                        s.integer("weight", 60, 0, 1_000_000),
                        s.bool("standby", false),
                        s.string("shared_key", null),
                        s.string("username", ""),
                        s.string("password", "")));
            } catch (IllegalArgumentException ex) {
                throw new ConfException(s.location(), "<server>: " + ex.getMessage());
            }
        }
        ForwardOutputSettings.Security security = null;
        ConfElement sec = e.element("security");
        if (sec != null) {
            sec.markUsed();
            security = new ForwardOutputSettings.Security(
                    sec.string("self_hostname", hostname), sec.requiredString("shared_key"));
        } else {
            for (ConfElement s : serverElements) {
                if (s.has("shared_key") || !s.string("username", "").isEmpty()) {
                    throw s.error(
                            s.has("shared_key") ? "shared_key" : "username",
                            "is set but there is no <security> section (expected: <security> with self_hostname"
                                    + " and shared_key)");
                }
            }
        }
        String transport = e.choice("transport", "tcp", List.of("tcp", "tls"));
        ForwardOutputSettings.Tls tls = null;
        if (transport.equals("tls")) {
            List<Path> cas = new ArrayList<>();
            for (String p : e.array("tls_cert_path", List.of())) {
                cas.add(Path.of(p));
            }
            String clientCert = e.string("tls_client_cert_path", null);
            String clientKey = e.string("tls_client_private_key_path", null);
            String version = e.string("tls_version", "TLSv1_2");
            try {
                tls = new ForwardOutputSettings.Tls(
                        cas,
                        clientCert == null ? null : Path.of(clientCert),
                        clientKey == null ? null : Path.of(clientKey),
                        e.string("tls_client_private_key_passphrase", null),
                        e.bool("tls_verify_hostname", true),
                        e.bool("tls_insecure_mode", false),
                        e.string("tls_min_version", version),
                        e.string("tls_max_version", null),
                        ciphers(e.string("tls_ciphers", null)));
            } catch (IllegalArgumentException ex) {
                throw e.error("transport", ex.getMessage());
            }
            e.bool("tls_allow_self_signed_cert", false); // the CA list decides, as with a JDK trust store
            if (tls.insecure()) {
                warn.accept("tls_insecure_mode", "is true: server certificates are not checked at all");
            }
        } else {
            for (String p : List.of("tls_cert_path", "tls_client_cert_path", "tls_verify_hostname")) {
                if (e.has(p)) {
                    e.string(p, null);
                    warn.accept(p, "has no effect without transport tls");
                }
            }
        }
        String compress = e.choice("compress", "text", List.of("text", "gzip"));
        Heartbeat heartbeat =
                Heartbeat.valueOf(e.choice("heartbeat_type", "transport", List.of("transport", "udp", "none"))
                        .toUpperCase(Locale.ROOT));
        Duration ackTimeout = e.time("ack_response_timeout", Duration.ofSeconds(190));
        Duration connectTimeout = e.time("connect_timeout", Duration.ofSeconds(60));
        try {
            return new ForwardOutputSettings(
                    servers,
                    e.bool("require_ack_response", false),
                    ackTimeout,
                    e.time("send_timeout", Duration.ofSeconds(60)),
                    connectTimeout,
                    compress.equals("gzip"),
                    security,
                    tls,
                    heartbeat,
                    e.time("heartbeat_interval", Duration.ofSeconds(1)),
                    e.time("hard_timeout", Duration.ofSeconds(60)),
                    e.bool("keepalive", false),
                    e.has("keepalive_timeout") ? e.time("keepalive_timeout", null) : null);
        } catch (IllegalArgumentException ex) {
            String param = ex.getMessage().contains(":")
                    ? ex.getMessage().substring(0, ex.getMessage().indexOf(':'))
                    : null;
            throw param != null && e.has(param)
                    ? e.error(
                            param, ex.getMessage().substring(param.length() + 1).trim())
                    : e.error(ex.getMessage());
        }
    }

    private static List<String> ciphers(String value) {
        if (value == null || value.isBlank()) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        for (String c : value.split("[:,\\s]+")) {
            if (!c.isBlank()) {
                out.add(c.trim());
            }
        }
        return out;
    }
}
