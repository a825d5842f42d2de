/**
 * Whole-pipeline benchmarks: the distribution as a child process under a forward-protocol load, with
 * CPU and memory read from /proc. Single-threaded drivers; nothing here is used by the product.
 */
package org.kinesisaggregator.bench.e2e;
