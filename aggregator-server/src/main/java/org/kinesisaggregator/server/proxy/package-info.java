/**
 * {@code proxy_protocol}: PROXY protocol v1/v2 headers (an AWS NLB with IP targets). The header is
 * read before TLS; the client address it names becomes the peer for logs, {@code <client>} rules
 * and {@code source_address_key}. Handlers are per channel, event-loop confined, and remove
 * themselves once the header has been read.
 *
 * <p><b>Invariants.</b> With {@code proxy_protocol true} nothing of a connection is decoded as the
 * forward protocol (or as TLS) before its PROXY header: bytes that cannot begin one close the
 * connection at once ({@code ProxyHeaderGuard}). A {@code LOCAL} header (health checks) keeps the
 * socket's own address. The address a header names is only used for logs, {@code <client>} rules
 * and {@code source_address_key}; it grants nothing by itself.
 *
 * <p><b>Threads.</b> One instance of each handler per channel, confined to its event loop.
 */
package org.kinesisaggregator.server.proxy;
