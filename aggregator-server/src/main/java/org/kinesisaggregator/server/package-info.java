/**
 * The forward-protocol input: {@link org.kinesisaggregator.server.ForwardServer}, a
 * {@code <source> @type forward} that accepts what td-agent / fluentd / fluent-bit forwarders send
 * (Fluentd forward protocol v1) and hands it to an {@link org.kinesisaggregator.buffer.EventSink}.
 *
 * <h2>Pipeline</h2>
 * {@link org.kinesisaggregator.server.ForwardChannelInitializer} is the one place stating it:
 * optional PROXY header handling, optional TLS, then
 * {@link org.kinesisaggregator.server.codec.ForwardDecoder} (bytes → validated entries) and
 * {@code ForwardIngestHandler} (handshake, append, ack, back-pressure, errors; see "Connection state").
 *
 * <h2>Invariants</h2>
 * <ul>
 *   <li>A forwarder's {@code chunk} is acked only after the sink's future for that message
 *       completed normally (for a streamed message: every piece written, then the commit). A
 *       refused or failed append gets no ack; the connection is closed once the other in-flight
 *       appends settled, so the forwarder retries. Nothing acked is ever dropped by this module.</li>
 *   <li>Memory per connection is bounded: a message whose entries exceed 1 MiB is streamed to the
 *       sink in pieces of whole events (only the incomplete tail event is held); compressed
 *       entries are decompressed in 64 KiB steps; at most 64 appends/pieces and 2 MiB of entries
 *       per connection wait for the sink — beyond that the connection stops reading (TCP
 *       back-pressure, which {@code overflow_action block} relies on).</li>
 *   <li>Bad input closes only its own connection, with one log line naming the peer and the
 *       reason ({@code "<field>: <actual> (expected: <rule>)"}) and a
 *       {@code forward.errors{reason}} count; the decoder never re-synchronises mid-stream.</li>
 *   <li>No client holds resources for ever or stalls another: {@code idle_timeout},
 *       {@code message_timeout}, {@code max_connections} and {@code unread_ack_timeout}
 *       ({@link org.kinesisaggregator.server.ConnectionLimits}, enforced by {@code ConnectionGuard}
 *       on the connection's own loop). Every peer-supplied string is escaped before it reaches a
 *       log line ({@link org.kinesisaggregator.server.LogSafe}); lines a peer can repeat are
 *       logged once per key per 60 s and always counted.</li>
 *   <li>Metric tags are bounded ({@code port}, {@code mode}, {@code result}, {@code reason}):
 *       never peer addresses, event tags or chunk ids.</li>
 * </ul>
 *
 * <h2>Connection state</h2>
 * {@code ForwardIngestHandler} keeps a connection's state in three explicit places:
 * <ul>
 *   <li>{@code ConnectionState}, the lifecycle: {@code NEW} → {@code OPEN} (reading, dispatching,
 *       acking) → {@code DRAINING} (a drain came: reading until the message in progress ends) →
 *       {@code CLOSE_WHEN_SETTLED} (drained, half-closed or {@code deny_keepalive}: reading stops,
 *       held messages are still appended and acked, then the channel closes) or
 *       {@code FAILED_CLOSE_WHEN_SETTLED} (a bad message, a failed append, a message timeout: held
 *       messages are dropped unacked, the acks in flight go out, then the channel closes) or
 *       {@code FAILED} (TLS, PROXY, I/O, handshake or limit failures whose own path closes the
 *       channel) → {@code CLOSED}. One method per transition, each checking its source states.</li>
 *   <li>The handshake: pending while the HELO's challenge is kept; it may complete in any active
 *       state (held messages include the PING).</li>
 *   <li>{@code ReadGate}, the socket's reading: paused while any named reason holds —
 *       {@code RESOLVING_HOSTNAME} ({@code source_hostname_key}), {@code CLOSING} (failed or closing
 *       once settled), {@code HELD_MESSAGES}, {@code IN_FLIGHT_LIMIT}, {@code UNREAD_ACKS} (channel
 *       not writable), {@code DECODER_BACKLOG} (the decoder stopped at its slice bound; resumed one
 *       slice per pass of the loop while it is the only reason). Auto-read is switched exactly when
 *       the set becomes empty or non-empty; the ingest handler is its only writer, and
 *       {@code ConnectionGuard} and the decoder only read it.</li>
 * </ul>
 *
 * <h2>Threads</h2>
 * One boss event loop accepts; {@code workers} event loops (native epoll when available, else NIO)
 * own the connections. Every handler's state is confined to its channel's event loop; sink futures
 * complete on any thread and hop back to the loop; nothing blocks a loop (reverse DNS for
 * {@code source_hostname_key} runs on a small resolver pool). {@code ForwardServer}'s lifecycle
 * methods are synchronized and may be called from any thread.
 */
package org.kinesisaggregator.server;
