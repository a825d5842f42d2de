/**
 * The read side: {@link org.kinesisaggregator.kinesis.tail.StreamTail} reads a stream with the AWS
 * SDK v2 (JSON, not CBOR: kinesalite truncates large CBOR answers), de-aggregates KPL records and
 * hands over or prints user records; it backs {@code kinesis-aggregator tail} and the tests'
 * read-back. One reader per thread.
 */
package org.kinesisaggregator.kinesis.tail;
