/**
 * {@code bench/run.sh SCENARIO}: the named benchmark scenarios of BENCHMARKS.md on one command line
 * (ingest, end to end, the bridge, recovery, soak, the machine's raw limits and the side-by-side
 * run against Fluent Bit and Fluentd). One driver thread runs the scenarios in sequence, starting
 * and stopping each server as a child process; the load generator's threads are its own. Nothing
 * here is used by the product, and nothing asserts: figures go to BENCHMARKS.md.
 *
 * <p><b>Invariants.</b> A peer's path is passed in (or its variable); a scenario whose peer is
 * missing is skipped with a printed reason; nothing fetched is used unless given.
 */
package org.kinesisaggregator.bench.run;
