/**
 * {@code <security>} of a forward source: the HELO / PING / PONG handshake with shared keys,
 * {@code user_auth} and {@code <client>} rules. {@link org.kinesisaggregator.server.security.HandshakeAuthenticator}
 * is built once per source in {@code start()} (it resolves {@code <client host>} names) and is then
 * immutable and shared by every connection; each connection gets its own nonce and salt.
 */
package org.kinesisaggregator.server.security;
