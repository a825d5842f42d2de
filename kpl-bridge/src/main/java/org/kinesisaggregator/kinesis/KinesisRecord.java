package org.kinesisaggregator.kinesis;

/**
 * One Kinesis record a {@link Batcher} made: a plain event or an aggregate of several.
 *
 * @param data the record's bytes {@code [0, length)}; the receiver copies what it keeps before it returns
 * @param indexes the chunk indexes of the events in it (the first {@code count})
 * @param shardToCheck the shard the record must land on, or null when nothing is predicted (a
 *     record whose events do not all share its key: landing elsewhere would misroute them)
 */
record KinesisRecord(
        String stream,
        String partitionKey,
        String hashKey,
        byte[] data,
        int length,
        int[] indexes,
        int count,
        String shardToCheck) {

    /** What it weighs against the Kinesis limits and the in-flight bound: data plus partition key. */
    int weight() {
        return length + RecordKeys.utf8Length(partitionKey);
    }
}
