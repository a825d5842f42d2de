package org.kinesisaggregator.kinesis.tail;

/**
 * One Kinesis record as GetRecords returned it (possibly an aggregate).
 *
 * @param data its bytes (owned by this record)
 */
public record KinesisRecord(
        String shardId, String sequenceNumber, String partitionKey, String explicitHashKey, byte[] data) {}
