/**
 * kpl-bridge benchmarks: {@link org.kinesisaggregator.bench.kinesis.KplBridgeBenchmark} drives
 * chunks through {@code KinesisOutput} and the real KPL daemon into
 * {@link org.kinesisaggregator.bench.kinesis.NullKinesis} (a validating HTTPS stand-in, to measure the
 * bridge without kinesalite's ceiling) or kinesalite. Run with {@code scripts/bench-kpl-bridge.sh};
 * figures go to BENCHMARKS.md.
 */
package org.kinesisaggregator.bench.kinesis;
