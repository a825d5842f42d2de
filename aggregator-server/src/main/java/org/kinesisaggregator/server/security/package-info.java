/**
 * {@code <security>} of a forward source: the HELO / PING / PONG handshake with shared keys,
 * {@code user_auth} and {@code <client>} rules. {@link org.kinesisaggregator.server.security.HandshakeAuthenticator}
 * is built once per source in {@code start()} (it resolves {@code <client host>} names) and is then
 * immutable and shared by every connection; each connection gets its own nonce and salt.
 *
 * <p><b>Invariants.</b> No event of a connection is dispatched before its PING succeeded (the
 * pipeline's {@code HandshakeHandler} refuses anything else and removes itself only after success).
 * Digests are compared in constant time. Shared keys and passwords never appear in a log line or
 * an exception message; a failed handshake is answered with the failure PONG, then the connection
 * closes.
 *
 * <p><b>Threads.</b> {@code HandshakeAuthenticator} is immutable after {@code start()} and shared by
 * every connection (thread-safe); a {@code Challenge} belongs to one connection and its event loop.
 */
package org.kinesisaggregator.server.security;
