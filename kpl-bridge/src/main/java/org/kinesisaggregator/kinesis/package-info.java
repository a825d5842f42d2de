/**
 * kpl-bridge: the Kinesis outputs ({@code kinesis_producer}, {@code kinesis_streams_aggregated},
 * {@code kinesis_streams}). {@link org.kinesisaggregator.kinesis.KinesisOutput} implements
 * buffer-store's {@code Output}: it formats each pending event of a chunk, packs events into
 * KPL-format aggregated records in Java and ships each Kinesis record through a KPL daemon shared
 * via {@link org.kinesisaggregator.kinesis.ProducerPool}; the read side de-aggregates and tails a
 * stream ({@code tail} package). docs/kinesis.md is the user-facing description.
 *
 * <h2>Public API (what the server wires)</h2>
 * {@link org.kinesisaggregator.kinesis.KinesisOutputSettings} (with
 * {@link org.kinesisaggregator.kinesis.FormatSettings},
 * {@link org.kinesisaggregator.kinesis.CredentialsSettings},
 * {@link org.kinesisaggregator.kinesis.KplSettings}), one
 * {@link org.kinesisaggregator.kinesis.ProducerPool} and one
 * {@link org.kinesisaggregator.kinesis.KinesisHealth} per process, a
 * {@link org.kinesisaggregator.kinesis.KinesisOutput} per {@code <match>}, and
 * {@link org.kinesisaggregator.kinesis.tail.StreamTail} for the CLI. {@code internal} is not API.
 *
 * <h2>Invariants</h2>
 * <ul>
 *   <li>Every event of a write ends up in exactly one of: delivered (its Kinesis record succeeded),
 *       rejected with a reason (cannot ever be sent: over {@code max_record_size}, unformattable,
 *       no valid stream name; always logged and counted), or failed this time (everything else,
 *       retried by the buffer: throttling, {@code Expired}, daemon crash, missing stream, shard
 *       misprediction, shutdown). Nothing is dropped.
 *   <li>A Kinesis record never exceeds 1 MiB (data plus partition key); an aggregate never exceeds
 *       {@code aggregation_max_size}.
 *   <li>Every user record in an aggregate maps to the shard the aggregate is routed to: one key per
 *       aggregate, or records grouped by predicted shard. An aggregate that lands elsewhere than
 *       predicted has its events reported failed (re-sent under a refreshed shard map), so KCL
 *       consumers, which drop user records outside their shard's hash range, lose nothing.
 *   <li>Records with and without an explicit hash key never share an aggregate.
 *   <li>Bytes handed to one KPL producer and not yet settled stay under {@code max_in_flight_size};
 *       writers wait for room (back-pressure to the buffer's flush threads, memory flat).
 *   <li>Every record handed to KPL settles exactly once: by KPL's callback, or failed by the bridge
 *       when KPL cannot answer (daemon replaced, producer stopped).
 * </ul>
 *
 * <h2>Threads</h2>
 * {@code KinesisOutput.write} runs on the buffer's flush threads (several at once), formats and
 * aggregates on that thread, and may wait there for room in the in-flight window. KPL callbacks run
 * on KPL's callback executor: they only record outcomes (metrics, per-event bits) and never complete
 * the write's future themselves: that happens on the output's result thread, so buffer-store code
 * never runs on KPL's threads. Stream checks and shard-map refreshes triggered by failures run on the
 * output's background thread. {@code start} and {@code close} are called once by the owner.
 */
package org.kinesisaggregator.kinesis;
