/**
 * Not API: helpers of the Kinesis output (stream name templates, shard maps and hash keys, the
 * in-flight window, AWS SDK client construction, metrics). Thread-safety is stated per class.
 *
 * <p><b>Invariants.</b> Shard maps and routing keys only ever predict: a record's real shard is
 * what Kinesis answers, and a misprediction re-sends its events (never drops them). Stream names
 * from templates are validated before any call.
 *
 * <p><b>Threads.</b> {@code HashKeys} is mutable scratch (one digest per instance, one user at a
 * time); {@code ShardMap} is immutable; {@code StreamNameTemplate} (a bounded cache),
 * {@code RoutingKeys}, {@code InFlightWindow} and {@code KinesisMetrics} are thread-safe;
 * {@code AwsClients} and {@code DaemonLauncher} are static.
 */
package org.kinesisaggregator.kinesis.internal;
