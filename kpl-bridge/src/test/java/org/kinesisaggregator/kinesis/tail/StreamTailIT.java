package org.kinesisaggregator.kinesis.tail;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.kinesisaggregator.kinesis.testing.LocalKinesis;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.Record;
import software.amazon.awssdk.services.kinesis.model.Shard;
import software.amazon.awssdk.services.kinesis.model.ShardIteratorType;

/** {@code tail --from INSTANT} against kinesalite: only records that arrived at or after the instant. */
class StreamTailIT {
    private static LocalKinesis kinesis;

    @BeforeAll
    static void startKinesis() {
        kinesis = LocalKinesis.start();
    }

    @AfterAll
    static void stopKinesis() {
        kinesis.close();
    }

    @Test
    void fromAnInstantReadsOnlyWhatArrivedAfterIt() {
        kinesis.createStream("tail-from", 2);
        for (int i = 0; i < 5; i++) {
            put("before-" + i);
        }
        Instant lastBefore = arrivals().stream()
                .map(Record::approximateArrivalTimestamp)
                .max(Instant::compareTo)
                .orElseThrow();
        Instant from = lastBefore.plusMillis(1);
        // the emulator stamps arrivals with its own clock: wait until it has moved past `from`
        Awaitility.await()
                .atMost(Duration.ofSeconds(5))
                .until(() -> Instant.now().isAfter(from.plusMillis(5)));
        for (int i = 0; i < 5; i++) {
            put("after-" + i);
        }

        List<String> read;
        try (StreamTail tail =
                new StreamTail(kinesis.tailOptions("tail-from").withFrom(TailOptions.StartPosition.at(from)))) {
            read = tail.readAll().stream()
                    .map(r -> new String(r.record().data(), StandardCharsets.UTF_8))
                    .sorted()
                    .toList();
        }
        assertThat(read).containsExactly("after-0", "after-1", "after-2", "after-3", "after-4");
    }

    private static void put(String data) {
        kinesis.client()
                .putRecord(r -> r.streamName("tail-from").partitionKey(data).data(SdkBytes.fromUtf8String(data)));
    }

    /** Every record in the stream, read with the SDK (it carries the arrival time). */
    private static List<Record> arrivals() {
        KinesisClient client = kinesis.client();
        List<Record> all = new ArrayList<>();
        for (Shard shard : client.listShards(r -> r.streamName("tail-from")).shards()) {
            String iterator = client.getShardIterator(r -> r.streamName("tail-from")
                            .shardId(shard.shardId())
                            .shardIteratorType(ShardIteratorType.TRIM_HORIZON))
                    .shardIterator();
            all.addAll(client.getRecords(r -> r.shardIterator(iterator)).records());
        }
        assertThat(all).hasSize(5);
        return all;
    }
}
