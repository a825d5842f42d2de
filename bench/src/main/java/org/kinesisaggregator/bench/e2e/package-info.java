/**
 * Whole-pipeline benchmarks: the distribution as a child process under a forward-protocol load, with
 * CPU and memory read from /proc. Single-threaded drivers; nothing here is used by the product.
 *
 * <p><b>Invariants.</b> Every server measured (ours or a peer) runs as its own child process, stopped
 * and its directories deleted after the run; only ratios taken in one run are compared.
 *
 * <p><b>Threads.</b> The drivers are single-threaded; the load generator's connection threads and
 * the /proc sampler are their own.
 */
package org.kinesisaggregator.bench.e2e;
