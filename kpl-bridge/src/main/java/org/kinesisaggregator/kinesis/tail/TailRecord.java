package org.kinesisaggregator.kinesis.tail;

import org.kinesisaggregator.kinesis.aggregation.UserRecord;

/**
 * One user record read from a stream, with the Kinesis record it came in.
 *
 * @param shardId the shard it was read from
 * @param sequenceNumber the Kinesis record's sequence number
 * @param record the user record (its sub-sequence number, keys and data)
 */
public record TailRecord(String shardId, String sequenceNumber, UserRecord record) {}
