package org.kinesisaggregator.server.app;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.kinesisaggregator.conf.ConfElement;
import org.kinesisaggregator.conf.ConfException;
import org.kinesisaggregator.server.ConnectionLimits;
import org.kinesisaggregator.server.ForwardSettings;
import org.kinesisaggregator.server.SecuritySettings;
import org.kinesisaggregator.server.TlsSettings;
import org.kinesisaggregator.server.route.Router;

/**
 * Maps {@code <source> @type forward} onto {@link ForwardSettings} (in_forward's parameter names;
 * defaults are {@link ForwardSettings#defaults}'s). Stateless.
 */
public final class ForwardConf {
    private ForwardConf() {}

    /**
     * {@code @type forward} ({@link Plugins#sources()}): the input {@code factory} makes, into its label's
     * router, counted as input, carried over a reload; its port (TCP and the UDP heartbeat) and TLS
     * files are checked before start.
     */
    static SourceFactory source(InputFactory factory) {
        return source -> {
            Router router = source.router();
            ForwardSettings settings = settings(source.element(), source.system());
            source.input(new SourceSection.InputSpec(
                    router,
                    settings,
                    source.type() + " " + settings.bind() + ":" + settings.port(),
                    "in_" + source.type() + "_" + settings.port(),
                    (settings.tls() != null ? " tls" : "") + (settings.security() != null ? " security" : ""),
                    new SourceSection.Port(settings.bind(), settings.port(), true),
                    (sink, registry) -> factory.create(settings, sink, registry)));
            ConfElement transport = source.element().element("transport");
            if (settings.tls() != null && transport != null) {
                source.readableFile(transport, "cert_path");
                source.readableFile(transport, "private_key_path");
                source.readableFile(transport, "ca_path");
            }
        };
    }

    public static ForwardSettings settings(ConfElement source, SystemSettings system) {
        ForwardSettings d = ForwardSettings.defaults("0.0.0.0", ForwardSettings.DEFAULT_PORT);
        String bind = source.string("bind", d.bind());
        int port = source.integer("port", d.port(), 0, 65535);
        TlsSettings tls = tls(source);
        SecuritySettings security = security(source.element("security"));
        String sourceHostnameKey = source.string("source_hostname_key", d.sourceHostnameKey());
        ConnectionLimits limits = limits(source, d.limits());
        try {
            return new ForwardSettings(
                    bind,
                    port,
                    system.workers(),
                    source.time("linger_timeout", d.lingerTimeout()),
                    source.size("chunk_size_limit", d.chunkSizeLimitBytes()),
                    source.size("chunk_size_warn_limit", d.chunkSizeWarnLimitBytes()),
                    source.size("decompression_size_limit", d.decompressionSizeLimitBytes()),
                    source.bool("skip_invalid_event", d.skipInvalidEvent()),
                    sourceHostnameKey,
                    source.string("source_address_key", d.sourceAddressKey()),
                    source.bool("resolve_hostname", sourceHostnameKey != null || d.resolveHostname()),
                    source.bool("deny_keepalive", d.denyKeepalive()),
                    source.bool("send_keepalive_packet", d.sendKeepalivePacket()),
                    source.string("add_tag_prefix", d.addTagPrefix()),
                    source.string("event_metadata_key", d.eventMetadataKey()),
                    source.bool("proxy_protocol", d.proxyProtocol()),
                    tls,
                    security,
                    limits);
        } catch (IllegalArgumentException e) {
            throw source.error("invalid forward source: " + e.getMessage());
        }
    }

    /** Ours (in_forward has none): times are never negative in conf syntax; 0 turns a limit off. */
    private static ConnectionLimits limits(ConfElement source, ConnectionLimits d) {
        return new ConnectionLimits(
                source.time("idle_timeout", d.idleTimeout()),
                source.time("message_timeout", d.messageTimeout()),
                source.integer("max_connections", d.maxConnections(), 0, Integer.MAX_VALUE),
                source.time("unread_ack_timeout", d.unreadAckTimeout()));
    }

    private static TlsSettings tls(ConfElement source) {
        ConfElement transport = source.element("transport");
        if (transport == null) {
            return null;
        }
        String kind = transport.arg().trim();
        if (kind.isEmpty() || kind.equals("tcp")) {
            return null;
        }
        if (!kind.equals("tls")) {
            throw new ConfException(
                    transport.location(), "<transport " + kind + ">: unknown transport (expected: tcp or tls)");
        }
        String cert = transport.string("cert_path", null);
        String key = transport.string("private_key_path", null);
        if (cert == null) {
            throw transport.missing("cert_path");
        }
        if (key == null) {
            throw transport.missing("private_key_path");
        }
        String ca = transport.string("ca_path", null);
        boolean clientCertAuth = transport.bool("client_cert_auth", false);
        String min = transport.string("min_version", transport.string("version", "TLSv1_2"));
        List<String> ciphers = new ArrayList<>();
        String cipherText = transport.string("ciphers", null);
        if (cipherText != null) {
            for (String c : cipherText.split("[:,\\s]+")) {
                if (!c.isEmpty()) {
                    ciphers.add(c);
                }
            }
        }
        try {
            return new TlsSettings(
                    Path.of(cert),
                    Path.of(key),
                    transport.string("private_key_passphrase", null),
                    ca == null ? null : Path.of(ca),
                    clientCertAuth,
                    min,
                    transport.string("max_version", null),
                    ciphers);
        } catch (IllegalArgumentException e) {
            throw transport.error(e.getMessage());
        }
    }

    private static SecuritySettings security(ConfElement s) {
        if (s == null) {
            return null;
        }
        String self = s.requiredString("self_hostname");
        String shared = s.requiredString("shared_key");
        List<SecuritySettings.User> users = new ArrayList<>();
        for (ConfElement u : s.elements("user")) {
            users.add(new SecuritySettings.User(u.requiredString("username"), u.requiredString("password")));
        }
        List<SecuritySettings.Client> clients = new ArrayList<>();
        for (ConfElement c : s.elements("client")) {
            try {
                clients.add(new SecuritySettings.Client(
                        c.string("host", null),
                        c.string("network", null),
                        c.string("shared_key", null),
                        c.array("users", List.of())));
            } catch (IllegalArgumentException e) {
                throw c.error(e.getMessage());
            }
        }
        try {
            return new SecuritySettings(
                    self, shared, s.bool("user_auth", false), s.bool("allow_anonymous_source", true), users, clients);
        } catch (IllegalArgumentException e) {
            throw s.error(e.getMessage());
        }
    }
}
