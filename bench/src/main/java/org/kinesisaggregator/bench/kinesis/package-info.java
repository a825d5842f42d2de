/**
 * kpl-bridge benchmarks: {@link org.kinesisaggregator.bench.kinesis.KplBridgeBenchmark} drives
 * chunks through {@code KinesisOutput} and the real KPL daemon into
 * {@link org.kinesisaggregator.bench.kinesis.NullKinesis} (a validating HTTPS stand-in, to measure the
 * bridge without kinesalite's ceiling) or kinesalite. Run with {@code scripts/bench-kpl-bridge.sh};
 * figures go to BENCHMARKS.md.
 *
 * <p><b>Invariants.</b> {@code NullKinesis} validates every PutRecords request it answers (a bridge
 * that sent bad records would fail the run, not look fast); it listens on loopback only.
 *
 * <p><b>Threads.</b> The drivers are single-threaded; {@code NullKinesis} serves on its own HTTP
 * server threads; JMH runs its own.
 */
package org.kinesisaggregator.bench.kinesis;
