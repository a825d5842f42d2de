/**
 * buffer-store benchmarks: plain harnesses with fixed counts that print their configuration and
 * figures (for BENCHMARKS.md), not timed tests. Run {@link org.kinesisaggregator.bench.buffer.BufferBenchmark}.
 *
 * <p><b>Invariants.</b> Each run uses its own temporary directory and deletes it; the buffer under
 * test is the product's, unchanged.
 *
 * <p><b>Threads.</b> One driver thread; the buffer's writer and flush threads are its own.
 */
package org.kinesisaggregator.bench.buffer;
