/**
 * Routing by tag: {@code <match>} patterns ({@link org.kinesisaggregator.server.route.TagPattern}),
 * {@code <label>}s ({@link org.kinesisaggregator.server.route.Router}, one per label), {@code <filter>}s
 * ({@code grep}, {@code record_transformer}) and fan-out to several destinations
 * ({@link org.kinesisaggregator.server.route.FanOutSink}, behind {@code @type copy}).
 *
 * <h2>Invariants</h2>
 * <ul>
 *   <li>First match wins, in conf order; filters apply when they match and come before that match.
 *   <li>An append completes only when every destination it went to has completed (the forwarder's ack
 *       waits for all of them); a failure of any non-{@code ignore_error} destination fails it.
 *   <li>Without a filter on the way, entries reach the destination untouched (same buffer, no copy, no
 *       re-encoding); with filters, records a filter did not change keep their original bytes.
 *   <li>Events that match no {@code <match>} are dropped, counted and logged (rate-limited), and acked.
 * </ul>
 *
 * <h2>Threads</h2>
 * Routers, filters and fan-outs are immutable once configured (before any input starts) and are called
 * concurrently by the inputs' event loops; they never block. Streams ({@code StreamedAppend}) are
 * confined to their caller, as the buffer contract says.
 */
package org.kinesisaggregator.server.route;
