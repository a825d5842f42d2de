package org.kinesisaggregator.server.output.forward;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * The typed settings of {@code @type forward} as an output (Fluentd's out_forward names in the
 * javadoc of each component). Immutable; validated once.
 *
 * @param servers {@code <server>} sections, at least one
 * @param requireAckResponse {@code require_ack_response}: a write completes only when every message is acked
 * @param ackResponseTimeout {@code ack_response_timeout}: how long an ack may take; then the message is retried
 * @param sendTimeout {@code send_timeout}: bounds a write to the socket (and the handshake)
 * @param connectTimeout {@code connect_timeout}: bounds a TCP connect
 * @param gzip {@code compress gzip}: entries are sent as CompressedPackedForward
 * @param security {@code <security>}, or null for no handshake
 * @param tls {@code transport tls} settings, or null for plain TCP
 * @param heartbeat {@code heartbeat_type}
 * @param heartbeatInterval {@code heartbeat_interval}
 * @param hardTimeout {@code hard_timeout}: how long a failed server is left out before it is tried again
 * @param keepalive {@code keepalive}: reuse connections between writes
 * @param keepaliveTimeout {@code keepalive_timeout}: an idle kept connection older than this is closed; null: never
 */
public record ForwardOutputSettings(
        List<Server> servers,
        boolean requireAckResponse,
        Duration ackResponseTimeout,
        Duration sendTimeout,
        Duration connectTimeout,
        boolean gzip,
        Security security,
        Tls tls,
        Heartbeat heartbeat,
        Duration heartbeatInterval,
        Duration hardTimeout,
        boolean keepalive,
        Duration keepaliveTimeout) {

    /** {@code heartbeat_type}. */
    public enum Heartbeat {
        TRANSPORT,
        UDP,
        NONE
    }

    public ForwardOutputSettings {
        servers = List.copyOf(servers);
        if (servers.isEmpty()) {
            throw new IllegalArgumentException("<server>: none (expected: at least one <server> section)");
        }
        if (servers.stream().allMatch(Server::standby)) {
            throw new IllegalArgumentException(
                    "<server>: every server is standby (expected: at least one that is not)");
        }
        positive(ackResponseTimeout, "ack_response_timeout");
        positive(sendTimeout, "send_timeout");
        positive(connectTimeout, "connect_timeout");
        positive(heartbeatInterval, "heartbeat_interval");
        positive(hardTimeout, "hard_timeout");
        Objects.requireNonNull(heartbeat, "heartbeat_type");
        if (keepaliveTimeout != null) {
            positive(keepaliveTimeout, "keepalive_timeout");
        }
    }

    private static void positive(Duration d, String name) {
        Objects.requireNonNull(d, name);
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(name + ": " + d + " (expected: > 0)");
        }
    }

    /**
     * {@code <server>}: {@code host}, {@code port} (24224), {@code name} (null: host:port), {@code weight}
     * (60), {@code standby} (false), and its own {@code shared_key} (null: the {@code <security>} one),
     * {@code username} and {@code password} (empty: none).
     */
    public record Server(
            String host,
            int port,
            String name,
            int weight,
            boolean standby,
            String sharedKey,
            String username,
            String password) {
        public Server {
            Objects.requireNonNull(host, "host");
            if (host.isBlank()) {
                throw new IllegalArgumentException("host: empty (expected: a host name or address)");
            }
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("port: " + port + " (expected: 1..65535)");
            }
            if (weight < 0) {
                throw new IllegalArgumentException("weight: " + weight + " (expected: >= 0)");
            }
            username = username == null ? "" : username;
            password = password == null ? "" : password;
        }

        /** The name used in logs and the {@code server} metric tag. */
        public String label() {
            return name != null ? name : host + ":" + port;
        }
    }

    /** {@code <security>}: {@code self_hostname} sent in PING, {@code shared_key}. */
    public record Security(String selfHostname, String sharedKey) {
        public Security {
            Objects.requireNonNull(selfHostname, "self_hostname");
            Objects.requireNonNull(sharedKey, "shared_key");
        }
    }

    /**
     * {@code transport tls}: {@code tls_cert_path} (CA certificates, PEM; empty: the JDK's trust store),
     * {@code tls_client_cert_path} / {@code tls_client_private_key_path} /
     * {@code tls_client_private_key_passphrase} (null: no client certificate), {@code tls_verify_hostname},
     * {@code tls_insecure_mode} (no certificate check at all), protocol range and ciphers.
     */
    public record Tls(
            List<Path> caPaths,
            Path clientCertPath,
            Path clientKeyPath,
            String clientKeyPassphrase,
            boolean verifyHostname,
            boolean insecure,
            String minVersion,
            String maxVersion,
            List<String> ciphers) {
        public Tls {
            caPaths = List.copyOf(caPaths);
            ciphers = List.copyOf(ciphers);
            Objects.requireNonNull(minVersion, "tls_min_version");
            if ((clientCertPath == null) != (clientKeyPath == null)) {
                throw new IllegalArgumentException(
                        "tls_client_cert_path: needs tls_client_private_key_path" + " (expected: both or neither)");
            }
        }
    }
}
