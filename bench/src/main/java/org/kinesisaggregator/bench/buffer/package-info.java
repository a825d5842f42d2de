/**
 * buffer-store benchmarks: plain harnesses with fixed counts that print their configuration and
 * figures (for BENCHMARKS.md), not timed tests. Run {@link org.kinesisaggregator.bench.buffer.BufferBenchmark}.
 */
package org.kinesisaggregator.bench.buffer;
