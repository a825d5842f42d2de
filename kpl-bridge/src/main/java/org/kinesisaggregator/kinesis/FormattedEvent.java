package org.kinesisaggregator.kinesis;

/**
 * One event of a chunk, formatted and keyed, on its way into a {@link Batcher}.
 *
 * @param autoDistribution the stream places records itself (RecordDistributionStrategy AUTO): keys
 *     do not route, so there is no shard to predict
 * @param index the event's index in its chunk
 * @param data the formatted bytes {@code [0, length)}, valid only during the {@link Batcher#add} call
 * @param partitionKey the event's partition key, or null for none (a random one stands in)
 * @param hashKey the event's explicit hash key (decimal), or null
 */
record FormattedEvent(
        String stream,
        boolean autoDistribution,
        int index,
        byte[] data,
        int length,
        String partitionKey,
        String hashKey) {}
