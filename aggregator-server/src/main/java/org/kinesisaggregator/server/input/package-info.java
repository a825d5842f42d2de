/**
 * Inputs besides forward: {@code @type sample} / {@code dummy}
 * ({@link org.kinesisaggregator.server.input.SampleInput}) and {@code @type http}
 * ({@link org.kinesisaggregator.server.input.HttpInput}, Fluentd's in_http).
 *
 * <h2>Invariants</h2>
 * <ul>
 *   <li>Inputs take typed settings records (the conf is mapped in {@code server.app}) and hand events to
 *       an {@code EventSink}, counted there like the forward input's.
 *   <li>An input never holds more than a bounded number of appends in flight: when the sink is slow
 *       (a full buffer under {@code overflow_action block}), it skips instead of piling up (sample), or
 *       stops reading the connection until the append completed (http: one request appending per
 *       connection, its body bounded by {@code body_size_limit}).
 *   <li>The http input answers a request only once the sink's future completed: 200 means stored.
 * </ul>
 *
 * <h2>Threads</h2>
 * Each sample input owns one scheduler thread from {@code start()} to {@code close()}; its appends never
 * block it. Each http input owns one Netty event loop ({@code input-http}); a connection's state is touched
 * only on it, and an append's completion is handed back to it, never waited for.
 */
package org.kinesisaggregator.server.input;
