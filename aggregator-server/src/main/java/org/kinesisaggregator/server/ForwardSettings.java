package org.kinesisaggregator.server;

import java.time.Duration;
import java.util.Objects;

/**
 * One {@code <source> @type forward}, validated. Names follow Fluentd v1's in_forward with units in
 * the component names; 0 means "no limit" where Fluentd's default is {@code nil}.
 *
 * @param bind {@code bind}, default 0.0.0.0
 * @param port {@code port}, default 24224 (0 picks a free port: tests)
 * @param workers event-loop threads ({@code <system> workers} style; 0 = available processors)
 * @param lingerTimeout {@code linger_timeout}, SO_LINGER on close, default 0
 * @param chunkSizeLimitBytes {@code chunk_size_limit}: bigger messages are dropped with a log line (no ack); 0 = none
 * @param chunkSizeWarnLimitBytes {@code chunk_size_warn_limit}: bigger messages are logged; 0 = none
 * @param decompressionSizeLimitBytes {@code decompression_size_limit}: cap on one message's decompressed entries
 * @param skipInvalidEvent {@code skip_invalid_event}: drop (and log) invalid entries instead of rejecting the message
 * @param sourceHostnameKey {@code source_hostname_key}: record key to store the peer's hostname in, or null
 * @param sourceAddressKey {@code source_address_key}: record key to store the peer's address in, or null
 * @param resolveHostname {@code resolve_hostname}: reverse-resolve peers (on when source_hostname_key is set)
 * @param denyKeepalive {@code deny_keepalive}: close each connection after its first message
 * @param sendKeepalivePacket {@code send_keepalive_packet}: TCP keepalive on accepted sockets
 * @param addTagPrefix {@code add_tag_prefix}: prefix (joined with ".") added to every tag, or null
 * @param eventMetadataKey {@code event_metadata_key}: where Fluent Bit's {@code [[time, metadata], record]}
 *     metadata goes in the record, or null to drop it
 * @param proxyProtocol {@code proxy_protocol}: expect a PROXY protocol v1/v2 header (NLB IP targets)
 * @param tls {@code <transport tls>}, or null for plain TCP
 * @param security {@code <security>}, or null for no handshake
 * @param limits {@code idle_timeout}, {@code message_timeout}, {@code max_connections},
 *     {@code unread_ack_timeout} (ours)
 */
public record ForwardSettings(
        String bind,
        int port,
        int workers,
        Duration lingerTimeout,
        long chunkSizeLimitBytes,
        long chunkSizeWarnLimitBytes,
        long decompressionSizeLimitBytes,
        boolean skipInvalidEvent,
        String sourceHostnameKey,
        String sourceAddressKey,
        boolean resolveHostname,
        boolean denyKeepalive,
        boolean sendKeepalivePacket,
        String addTagPrefix,
        String eventMetadataKey,
        boolean proxyProtocol,
        TlsSettings tls,
        SecuritySettings security,
        ConnectionLimits limits) {

    public static final int DEFAULT_PORT = 24224;
    public static final long DEFAULT_DECOMPRESSION_SIZE_LIMIT_BYTES = 256L * 1024 * 1024;

    public ForwardSettings {
        Objects.requireNonNull(bind, "bind");
        Objects.requireNonNull(limits, "limits");
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port: " + port + " (expected: 0..65535)");
        }
        if (workers < 0) {
            throw new IllegalArgumentException("workers: " + workers + " (expected: >= 0)");
        }
        Objects.requireNonNull(lingerTimeout, "linger_timeout");
        if (lingerTimeout.isNegative()) {
            throw new IllegalArgumentException("linger_timeout: " + lingerTimeout + " (expected: >= 0)");
        }
        if (chunkSizeLimitBytes < 0) {
            throw new IllegalArgumentException("chunk_size_limit: " + chunkSizeLimitBytes + " (expected: >= 0)");
        }
        if (chunkSizeWarnLimitBytes < 0) {
            throw new IllegalArgumentException(
                    "chunk_size_warn_limit: " + chunkSizeWarnLimitBytes + " (expected: >= 0)");
        }
        if (decompressionSizeLimitBytes <= 0) {
            throw new IllegalArgumentException(
                    "decompression_size_limit: " + decompressionSizeLimitBytes + " (expected: > 0)");
        }
    }

    /** in_forward's defaults on {@code bind}:{@code port}. */
    public static ForwardSettings defaults(String bind, int port) {
        return new ForwardSettings(
                bind,
                port,
                0,
                Duration.ZERO,
                0,
                0,
                DEFAULT_DECOMPRESSION_SIZE_LIMIT_BYTES,
                true,
                null,
                null,
                false,
                false,
                false,
                null,
                null,
                false,
                null,
                null,
                ConnectionLimits.DEFAULT);
    }
}
