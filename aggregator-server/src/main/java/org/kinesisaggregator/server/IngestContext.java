package org.kinesisaggregator.server;

import java.util.concurrent.Executor;
import org.kinesisaggregator.buffer.EventSink;
import org.kinesisaggregator.server.security.HandshakeAuthenticator;

/**
 * What every connection of one forward source shares: immutable or thread-safe parts only.
 *
 * @param auth the handshake, or null without {@code <security>}
 * @param resolver where reverse DNS lookups run (never on an event loop), or null when unused
 * @param maxInFlightAppends appends and stream pieces one connection may leave waiting for the sink
 *     before it stops reading
 * @param maxInFlightBytes bytes of entries one connection may leave waiting for the sink before it
 *     stops reading
 * @param logThrottle thins the log lines a peer can repeat at will (once per key per interval)
 */
record IngestContext(
        ForwardSettings settings,
        EventSink sink,
        ForwardMetrics metrics,
        HandshakeAuthenticator auth,
        Executor resolver,
        int maxInFlightAppends,
        long maxInFlightBytes,
        LogThrottle logThrottle) {}
