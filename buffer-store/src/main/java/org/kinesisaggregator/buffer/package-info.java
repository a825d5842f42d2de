/**
 * buffer-store: the durable chunk buffer between the forward server and the outputs.
 *
 * <h2>Contract</h2>
 * The server appends validated events through {@link org.kinesisaggregator.buffer.EventSink}
 * (whole messages, or {@link org.kinesisaggregator.buffer.StreamedAppend} pieces for big ones) and
 * acks the forwarder only when the returned future completes. Flush threads hand sealed chunks to
 * an {@link org.kinesisaggregator.buffer.Output}, which reports per-event results
 * ({@link org.kinesisaggregator.buffer.WriteResult}); only undelivered events are retried.
 *
 * <h2>Entry format</h2>
 * See {@link org.kinesisaggregator.buffer.EventEntries}: PackedForward entries, stored as they came.
 *
 * <h2>Invariants</h2>
 * An event whose append completed is never lost and never dropped silently: it is delivered,
 * or moved to {@code <secondary>} / {@code failed/} with a log line and a metric.
 *
 * <p>This module knows nothing of Netty, AWS or conf syntax.
 */
package org.kinesisaggregator.buffer;
