/** Benchmarks: a forward-protocol load generator, scenario runner and JMH micro-benchmarks. */
package org.kinesisaggregator.bench;
