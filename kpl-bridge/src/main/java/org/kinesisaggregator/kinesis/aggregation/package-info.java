/**
 * The KPL aggregated record format ({@link org.kinesisaggregator.kinesis.aggregation.AggregationFormat}):
 * {@link org.kinesisaggregator.kinesis.aggregation.AggregateBuilder} writes it with protobuf-java's
 * {@code CodedOutputStream} and exact size accounting;
 * {@link org.kinesisaggregator.kinesis.aggregation.Deaggregator} reads it with {@code CodedInputStream},
 * checking the MD5. The format is frozen (every KCL / Lambda consumer parses it): do not change
 * field numbers or types. Tests check both sides against the protoc-generated classes in the KPL jar
 * and against awslabs' npm {@code aws-kinesis-agg}.
 *
 * <p><b>Invariants.</b> An aggregate never exceeds the size its builder was given (its size is
 * accounted exactly before a record is added); every aggregate carries the MD5 of its message; a
 * record that is not an aggregate is returned by the de-aggregator as one plain user record.
 *
 * <p><b>Threads.</b> Builders are not thread-safe (one per writing thread, pooled between writes);
 * the de-aggregator is stateless.
 */
package org.kinesisaggregator.kinesis.aggregation;
