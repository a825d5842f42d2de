/**
 * Inputs besides forward: {@code @type sample} / {@code dummy}
 * ({@link org.kinesisaggregator.server.input.SampleInput}).
 *
 * <h2>Invariants</h2>
 * <ul>
 *   <li>Inputs take typed settings records (the conf is mapped in {@code server.app}) and hand events to
 *       an {@code EventSink}, counted there like the forward input's.
 *   <li>An input never holds more than a bounded number of appends in flight: when the sink is slow
 *       (a full buffer under {@code overflow_action block}), it skips instead of piling up.
 * </ul>
 *
 * <h2>Threads</h2>
 * Each sample input owns one scheduler thread from {@code start()} to {@code close()}; its appends never
 * block it.
 */
package org.kinesisaggregator.server.input;
