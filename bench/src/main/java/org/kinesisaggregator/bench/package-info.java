/** Benchmarks: a forward-protocol load generator, scenario runner and JMH micro-benchmarks. *
 * <p><b>Invariants.</b> Nothing here is used by the product and nothing asserts: every figure a
 * benchmark prints goes to BENCHMARKS.md with the command that produced it. Network traffic goes to
 * loopback only, bounded in count and time.
 *
 * <p><b>Threads.</b> Each sub-package states its own; drivers are single-threaded unless said.
 */
package org.kinesisaggregator.bench;
