package org.kinesisaggregator.kinesis;

import java.util.function.Consumer;

/**
 * Turns the events of one write into Kinesis records, handed to a sink as they are made. Not
 * thread-safe: one per {@code write} call, on that call's thread.
 */
interface Batcher {

    /** Takes one event (copies its bytes); may hand finished records to the sink. */
    void add(FormattedEvent event);

    /** Hands every record still open to the sink. */
    void finish();

    /** {@code aggregation kpl} and {@code none}: one Kinesis user record per event. */
    static Batcher perEvent(Consumer<KinesisRecord> sink) {
        return new Batcher() {
            @Override
            public void add(FormattedEvent e) {
                String key = e.partitionKey() != null ? e.partitionKey() : RecordKeys.random();
                sink.accept(new KinesisRecord(
                        e.stream(), key, e.hashKey(), e.data(), e.length(), new int[] {e.index()}, 1, null));
            }

            @Override
            public void finish() {
                // nothing is held
            }
        };
    }
}
