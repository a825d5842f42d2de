/**
 * {@code proxy_protocol}: PROXY protocol v1/v2 headers (an AWS NLB with IP targets). The header is
 * read before TLS; the client address it names becomes the peer for logs, {@code <client>} rules
 * and {@code source_address_key}. Handlers are per channel, event-loop confined, and remove
 * themselves once the header has been read.
 */
package org.kinesisaggregator.server.proxy;
