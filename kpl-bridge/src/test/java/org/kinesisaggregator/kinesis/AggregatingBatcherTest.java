package org.kinesisaggregator.kinesis;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.kinesisaggregator.kinesis.KinesisOutputSettings.PartitionGrouping;
import org.kinesisaggregator.kinesis.aggregation.AggregateBuilder;
import org.kinesisaggregator.kinesis.aggregation.Deaggregator;
import org.kinesisaggregator.kinesis.aggregation.UserRecord;
import org.kinesisaggregator.kinesis.internal.HashKeys;
import org.kinesisaggregator.kinesis.internal.RoutingKeys;
import org.kinesisaggregator.kinesis.internal.ShardMap;

/**
 * The aggregating batcher without Kinesis: events in, the Kinesis records it hands to its sink
 * out, de-aggregated with the project's reader to check where every event went.
 */
class AggregatingBatcherTest {
    private static final BigInteger MAX = BigInteger.TWO.pow(128).subtract(BigInteger.ONE);

    private final List<KinesisRecord> sent = new ArrayList<>();
    private final ConcurrentLinkedQueue<AggregateBuilder> builders = new ConcurrentLinkedQueue<>();

    private AggregatingBatcher batcher(AggregatingBatcher.Rules rules, Map<String, ShardMap> maps) {
        return new AggregatingBatcher(rules, maps::get, new RoutingKeys(), builders, r -> sent.add(copy(r)));
    }

    /** The sink must copy: record data may be reused after the call. */
    private static KinesisRecord copy(KinesisRecord r) {
        return new KinesisRecord(
                r.stream(),
                r.partitionKey(),
                r.hashKey(),
                Arrays.copyOf(r.data(), r.length()),
                r.length(),
                Arrays.copyOf(r.indexes(), r.count()),
                r.count(),
                r.shardToCheck());
    }

    private static FormattedEvent event(int index, String stream, int bytes, String key, String hashKey) {
        byte[] data = new byte[bytes];
        Arrays.fill(data, (byte) ('a' + index % 26));
        return new FormattedEvent(stream, false, index, data, bytes, key, hashKey);
    }

    private static List<UserRecord> users(KinesisRecord r) throws Exception {
        return Deaggregator.deaggregate(r.data(), 0, r.length(), r.partitionKey(), r.hashKey());
    }

    /** Four shards splitting the hash key space evenly. */
    private static ShardMap fourShards(String stream) {
        BigInteger quarter = MAX.add(BigInteger.ONE).shiftRight(2);
        List<ShardMap.Shard> shards = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            BigInteger start = quarter.multiply(BigInteger.valueOf(i));
            BigInteger end = i == 3 ? MAX : start.add(quarter).subtract(BigInteger.ONE);
            shards.add(new ShardMap.Shard("shardId-00000000000" + i, start, end));
        }
        return new ShardMap(stream, shards, Instant.EPOCH);
    }

    private static String shardOfKey(ShardMap map, String key) {
        HashKeys h = new HashKeys();
        h.hashPartitionKey(key);
        return map.shardFor(h.high(), h.low());
    }

    @Test
    void withoutKeysEveryEventOfAStreamSharesAggregatesUpToTheSizeLimit() throws Exception {
        var rules = new AggregatingBatcher.Rules(50_000, Integer.MAX_VALUE, false, PartitionGrouping.SHARD);
        AggregatingBatcher b = batcher(rules, Map.of());
        for (int i = 0; i < 1000; i++) {
            b.add(event(i, i % 2 == 0 ? "s1" : "s2", 200, null, null));
        }
        b.finish();

        assertThat(sent).allSatisfy(r -> {
            assertThat(r.weight())
                    .as("data plus key within aggregation_max_size")
                    .isLessThanOrEqualTo(50_000);
            assertThat(r.shardToCheck())
                    .as("one key per aggregate: nothing to check")
                    .isNull();
        });
        // 500 events of ~200 B per stream fill two aggregates each (about 230 events each)
        assertThat(sent).filteredOn(r -> r.stream().equals("s1")).hasSize(3);
        Set<Integer> seen = new HashSet<>();
        for (KinesisRecord r : sent) {
            List<UserRecord> inside = users(r);
            assertThat(inside).hasSize(r.count());
            for (int i = 0; i < r.count(); i++) {
                int index = r.indexes()[i];
                assertThat(seen.add(index)).as("event %d once", index).isTrue();
                assertThat(index % 2 == 0 ? "s1" : "s2").isEqualTo(r.stream());
                assertThat(inside.get(i).data()).hasSize(200).containsOnly((byte) ('a' + index % 26));
                assertThat(inside.get(i).partitionKey()).isEqualTo(r.partitionKey());
            }
        }
        assertThat(seen)
                .containsExactlyInAnyOrderElementsOf(
                        IntStream.range(0, 1000).boxed().toList());
        assertThat(builders).as("builders go back to the pool").isNotEmpty();
    }

    @Test
    void aggregationMaxCountClosesAnAggregate() {
        var rules = new AggregatingBatcher.Rules(50_000, 10, false, PartitionGrouping.SHARD);
        AggregatingBatcher b = batcher(rules, Map.of());
        for (int i = 0; i < 25; i++) {
            b.add(event(i, "s", 10, null, null));
        }
        b.finish();
        assertThat(sent).extracting(KinesisRecord::count).containsExactly(10, 10, 5);
    }

    @Test
    void anEventTooBigToShareGoesAloneAsAPlainRecord() throws Exception {
        var rules = new AggregatingBatcher.Rules(2_000, Integer.MAX_VALUE, false, PartitionGrouping.SHARD);
        AggregatingBatcher b = batcher(rules, Map.of());
        b.add(event(0, "s", 100, "k", null));
        b.add(event(1, "s", 1_990, "k", null));
        b.add(event(2, "s", 100, "k", null));
        b.finish();

        KinesisRecord plain =
                sent.stream().filter(r -> r.indexes()[0] == 1).findFirst().orElseThrow();
        assertThat(plain.count()).isEqualTo(1);
        assertThat(users(plain))
                .singleElement()
                .satisfies(u -> assertThat(u.aggregated()).isFalse());
        assertThat(sent)
                .filteredOn(r -> r != plain)
                .singleElement()
                .satisfies(r -> assertThat(r.count()).isEqualTo(2));
    }

    @Test
    void withPartitionKeysAndAShardMapEventsAreGroupedByPredictedShard() throws Exception {
        ShardMap map = fourShards("s");
        var rules = new AggregatingBatcher.Rules(50_000, Integer.MAX_VALUE, true, PartitionGrouping.SHARD);
        AggregatingBatcher b = batcher(rules, Map.of("s", map));
        for (int i = 0; i < 400; i++) {
            b.add(event(i, "s", 50, "user-" + i, null));
        }
        b.finish();

        assertThat(sent).as("one aggregate per shard, whatever the key count").hasSize(4);
        for (KinesisRecord r : sent) {
            String shard = shardOfKey(map, r.partitionKey());
            assertThat(r.shardToCheck())
                    .as("mixed keys: the landing shard is checked")
                    .isEqualTo(shard);
            for (UserRecord u : users(r)) {
                assertThat(shardOfKey(map, u.partitionKey()))
                        .as("every event's own key belongs to the aggregate's shard")
                        .isEqualTo(shard);
            }
        }
    }

    @Test
    void withPartitionGroupingKeyEachDistinctKeyHasItsOwnAggregate() throws Exception {
        var rules = new AggregatingBatcher.Rules(50_000, Integer.MAX_VALUE, true, PartitionGrouping.KEY);
        AggregatingBatcher b = batcher(rules, Map.of("s", fourShards("s")));
        for (int i = 0; i < 30; i++) {
            b.add(event(i, "s", 50, "k" + i % 3, null));
        }
        b.finish();
        assertThat(sent).hasSize(3).allSatisfy(r -> {
            assertThat(r.count()).isEqualTo(10);
            assertThat(r.shardToCheck()).as("one key: routed by it").isNull();
        });
        for (KinesisRecord r : sent) {
            assertThat(users(r)).extracting(UserRecord::partitionKey).containsOnly(r.partitionKey());
        }
    }

    @Test
    void explicitHashKeysNeverShareAnAggregateWithKeyRoutedEventsAndRouteToTheirShard() throws Exception {
        ShardMap map = fourShards("s");
        var rules = new AggregatingBatcher.Rules(50_000, Integer.MAX_VALUE, true, PartitionGrouping.SHARD);
        AggregatingBatcher b = batcher(rules, Map.of("s", map));
        String lastShardHashKey = MAX.toString();
        b.add(event(0, "s", 50, "a", lastShardHashKey));
        b.add(event(1, "s", 50, "a", null));
        b.add(event(2, "s", 50, null, lastShardHashKey));
        b.finish();

        KinesisRecord hashed =
                sent.stream().filter(r -> r.hashKey() != null).findFirst().orElseThrow();
        assertThat(hashed.count()).isEqualTo(2);
        assertThat(shardOfKey(map, hashed.partitionKey()))
                .as("the aggregate's partition key routes to the explicit hash key's shard")
                .isEqualTo("shardId-000000000003");
        assertThat(sent)
                .filteredOn(r -> r.hashKey() == null)
                .singleElement()
                .satisfies(r -> assertThat(r.indexes()[0]).isEqualTo(1));
    }

    @Test
    void atMost256AggregatesAreOpenTheEldestIsSentFirst() {
        var rules = new AggregatingBatcher.Rules(50_000, Integer.MAX_VALUE, true, PartitionGrouping.KEY);
        AggregatingBatcher b = batcher(rules, Map.of());
        for (int i = 0; i < AggregatingBatcher.MAX_OPEN_AGGREGATES + 10; i++) {
            b.add(event(i, "s", 20, "key-" + i, null));
        }
        assertThat(sent).as("sent before finish: the eldest ten").hasSize(10);
        assertThat(sent).extracting(r -> r.partitionKey()).startsWith("key-0", "key-1");
        b.finish();
        assertThat(sent).hasSize(AggregatingBatcher.MAX_OPEN_AGGREGATES + 10);
    }

    @Test
    void perEventMakesOneRecordPerEventWithARandomKeyWhenItHasNone() {
        Batcher b = Batcher.perEvent(r -> sent.add(copy(r)));
        b.add(event(0, "s", 10, null, null));
        b.add(event(1, "s", 10, "mine", null));
        b.finish();
        assertThat(sent).hasSize(2);
        assertThat(sent.get(0).partitionKey()).hasSize(RecordKeys.RANDOM_KEY_CHARS);
        assertThat(sent.get(1).partitionKey()).isEqualTo("mine");
        assertThat(sent.get(1).weight()).isEqualTo(10 + "mine".getBytes(StandardCharsets.UTF_8).length);
    }
}
