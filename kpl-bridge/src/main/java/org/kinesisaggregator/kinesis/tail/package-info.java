/**
 * The read side: {@link org.kinesisaggregator.kinesis.tail.StreamTail} reads a stream with the AWS
 * SDK v2 (JSON, not CBOR: kinesalite truncates large CBOR answers), de-aggregates KPL records and
 * hands over or prints user records; it backs {@code kinesis-aggregator tail} and the tests'
 * read-back.
 *
 * <p><b>Invariants.</b> Read-only: nothing here writes to a stream or checkpoints anywhere; every
 * aggregate's MD5 is checked, and a record that fails it is reported, never silently skipped.
 *
 * <p><b>Threads.</b> One reader per thread; a {@code StreamTail} is not shared.
 */
package org.kinesisaggregator.kinesis.tail;
