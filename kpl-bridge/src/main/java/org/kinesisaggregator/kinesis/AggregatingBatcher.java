package org.kinesisaggregator.kinesis;

import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Queue;
import java.util.function.Consumer;
import java.util.function.Function;
import org.kinesisaggregator.kinesis.aggregation.AggregateBuilder;
import org.kinesisaggregator.kinesis.internal.HashKeys;
import org.kinesisaggregator.kinesis.internal.RoutingKeys;
import org.kinesisaggregator.kinesis.internal.ShardMap;

/**
 * {@code aggregation java}: packs the events of one write into KPL-format aggregated records.
 *
 * <p><b>Grouping.</b> Which open aggregate an event joins ({@link #place}):
 * <ul>
 *   <li>without {@code partition_key} / {@code explicit_hash_key}, or on a stream that places
 *       records itself (keys do not route): one aggregate per stream, and a separate one for
 *       events with an explicit hash key; an event without a key takes the aggregate's;</li>
 *   <li>with keys and {@code partition_grouping shard} and a known shard map: one aggregate per
 *       predicted shard (MD5 of the key, or the explicit hash key), separately for events with and
 *       without an explicit hash key (aws-kinesis-agg mis-reads a record without a hash-key index in
 *       an aggregate whose table is not empty);</li>
 *   <li>otherwise ({@code partition_grouping key}, or no shard map yet): one aggregate per distinct
 *       key.</li>
 * </ul>
 * An aggregate routed by an explicit hash key is sent under a partition key whose MD5 falls in the
 * same shard ({@link RoutingKeys}), so that it lands there even when the producer sends it before it
 * knows the stream's shards. An aggregate whose events do not all share its key carries its
 * predicted shard, which the caller checks on delivery.
 *
 * <p><b>Bounds.</b> An aggregate closes at {@code aggregationMaxRecords} events or
 * {@code aggregationMaxBytes} (data plus partition key); an event too big to share one goes alone
 * as a plain record; at most {@value #MAX_OPEN_AGGREGATES} aggregates are open at once (the eldest
 * is sent first).
 *
 * <p>Not thread-safe: one per write. The builder pool is shared between writes (thread-safe).
 */
final class AggregatingBatcher implements Batcher {
    static final int MAX_OPEN_AGGREGATES = 256;

    /** What the output's settings say about aggregating, fixed for its lifetime. */
    record Rules(
            int maxBytes, int maxRecords, boolean keyedGrouping, KinesisOutputSettings.PartitionGrouping grouping) {}

    /** Group identity with keys: a predicted shard, or a key when no map is known. */
    private record GroupKey(String stream, String shardOrKey) {}

    /** Where an event goes: its group, the key it is recorded under, its predicted shard and the map used. */
    private record Placement(Object group, String recordKey, String predictedShard, ShardMap map) {}

    /** An aggregate being filled: its builder, its events, its routing. */
    private static final class OpenAggregate {
        final String stream;
        final String partitionKey;
        final String hashKey;
        final String predictedShard;
        final AggregateBuilder builder;
        int[] indexes = new int[64];
        int count;
        boolean uniformKey = true;

        OpenAggregate(
                String stream, String partitionKey, String hashKey, String predictedShard, AggregateBuilder builder) {
            this.stream = stream;
            this.partitionKey = partitionKey;
            this.hashKey = hashKey;
            this.predictedShard = predictedShard;
            this.builder = builder;
        }

        void track(int index, String recordKey, String recordHashKey) {
            if (count == indexes.length) {
                indexes = Arrays.copyOf(indexes, count * 2);
            }
            indexes[count++] = index;
            if (uniformKey && (!recordKey.equals(partitionKey) || !Objects.equals(recordHashKey, hashKey))) {
                uniformKey = false;
            }
        }
    }

    private final Rules rules;
    private final Function<String, ShardMap> shardMaps;
    private final RoutingKeys routingKeys;
    private final Queue<AggregateBuilder> builders;
    private final Consumer<KinesisRecord> sink;
    private final LinkedHashMap<Object, OpenAggregate> open = new LinkedHashMap<>();
    private final HashKeys hashKeys = new HashKeys();

    /**
     * @param shardMaps the stream's shard map, or null when none is known (yet)
     * @param builders idle builders, shared by the output's writes
     */
    AggregatingBatcher(
            Rules rules,
            Function<String, ShardMap> shardMaps,
            RoutingKeys routingKeys,
            Queue<AggregateBuilder> builders,
            Consumer<KinesisRecord> sink) {
        this.rules = rules;
        this.shardMaps = shardMaps;
        this.routingKeys = routingKeys;
        this.builders = builders;
        this.sink = sink;
    }

    @Override
    public void add(FormattedEvent e) {
        Placement place = place(e);
        String recordKey = place.recordKey();
        boolean routeByHashKey = e.hashKey() != null && rules.keyedGrouping() && !e.autoDistribution();
        OpenAggregate aggregate = open.get(place.group());
        if (aggregate == null) {
            String key = routeByHashKey ? routingKey(e.hashKey(), place.map(), place.predictedShard()) : recordKey;
            if (!fitsAlone(e, recordKey, key)) {
                sendPlain(e, plainKey(routeByHashKey, recordKey, e, place.map()));
                return;
            }
            aggregate = openAggregate(place, e.stream(), key, e.hashKey());
        }
        if (aggregate.count >= rules.maxRecords()
                || !aggregate.builder.add(e.data(), 0, e.length(), recordKey, e.hashKey())) {
            String key = routeByHashKey ? routingKey(e.hashKey(), place.map(), place.predictedShard()) : null;
            if (!fitsAlone(e, recordKey, key != null ? key : recordKey)) {
                sendPlain(e, plainKey(routeByHashKey, recordKey, e, place.map()));
                return;
            }
            send(open.remove(place.group()));
            if (!groupsByKey(e) && e.partitionKey() == null) {
                // a new shared aggregate gets a new random key
                recordKey = RecordKeys.random();
            }
            aggregate = openAggregate(place, e.stream(), key != null ? key : recordKey, e.hashKey());
            if (!aggregate.builder.add(e.data(), 0, e.length(), recordKey, e.hashKey())) {
                throw new IllegalStateException("an event that fits an empty aggregate did not fit one");
            }
        }
        aggregate.track(e.index(), recordKey, e.hashKey());
    }

    @Override
    public void finish() {
        for (OpenAggregate aggregate : open.values()) {
            send(aggregate);
        }
        open.clear();
    }

    /** Keys route this event's records (there are keys, and the stream does not place records itself). */
    private boolean groupsByKey(FormattedEvent e) {
        return rules.keyedGrouping() && !e.autoDistribution();
    }

    /** The grouping rule of the class comment. */
    private Placement place(FormattedEvent e) {
        String stream = e.stream();
        String hashKey = e.hashKey();
        if (!groupsByKey(e)) {
            Object group = hashKey != null ? new GroupKey(stream, "h:") : stream;
            String recordKey;
            if (rules.keyedGrouping() && e.partitionKey() != null) {
                recordKey = e.partitionKey();
            } else {
                OpenAggregate current = open.get(group);
                recordKey = current != null
                        ? current.partitionKey
                        : e.partitionKey() != null ? e.partitionKey() : RecordKeys.random();
            }
            return new Placement(group, recordKey, null, null);
        }
        String recordKey = e.partitionKey() != null ? e.partitionKey() : RecordKeys.random();
        String kind = hashKey != null ? "h:" : "k:";
        ShardMap map = null;
        String predictedShard = null;
        if (rules.grouping() == KinesisOutputSettings.PartitionGrouping.SHARD) {
            map = shardMaps.apply(stream);
            if (map != null && map.shardCount() > 0) {
                if (hashKey == null || !hashKeys.parseExplicitHashKey(hashKey)) {
                    hashKeys.hashPartitionKey(recordKey);
                }
                predictedShard = map.shardFor(hashKeys.high(), hashKeys.low());
            }
        }
        Object group = predictedShard != null
                ? new GroupKey(stream, kind + predictedShard)
                : new GroupKey(stream, kind + (hashKey != null ? hashKey : recordKey));
        return new Placement(group, recordKey, predictedShard, map);
    }

    /**
     * The partition key of a Kinesis record sent with explicit hash key {@code hashKey}: one whose
     * MD5 falls in the same shard ({@link RoutingKeys}). With a shard map, in the predicted shard;
     * without one, as near the hash key as 12 bits go.
     */
    private String routingKey(String hashKey, ShardMap map, String predictedShard) {
        if (!hashKeys.parseExplicitHashKey(hashKey)) {
            throw new IllegalStateException("explicit hash key checked at format time is invalid: " + hashKey);
        }
        long high = hashKeys.high();
        String shard = predictedShard;
        if (map != null && shard == null) {
            shard = map.shardFor(high, hashKeys.low());
        }
        return map != null ? routingKeys.inShard(map, shard, high, hashKeys) : routingKeys.near(high, hashKeys);
    }

    /**
     * A plain record's partition key: its own (it is what readers see as the event's key), unless it
     * had none and a random one stood in: then, with an explicit hash key, a routing key.
     */
    private String plainKey(boolean routeByHashKey, String recordKey, FormattedEvent e, ShardMap map) {
        return routeByHashKey && e.partitionKey() == null ? routingKey(e.hashKey(), map, null) : recordKey;
    }

    /** Whether the event fits an aggregate of its own, sent under {@code aggregateKey}, under the size limit. */
    private boolean fitsAlone(FormattedEvent e, String recordKey, String aggregateKey) {
        return AggregateBuilder.sizeOfOne(e.length(), recordKey, e.hashKey()) + RecordKeys.utf8Length(aggregateKey)
                <= rules.maxBytes();
    }

    private OpenAggregate openAggregate(Placement place, String stream, String key, String hashKey) {
        if (open.size() >= MAX_OPEN_AGGREGATES) {
            Iterator<Map.Entry<Object, OpenAggregate>> eldest = open.entrySet().iterator();
            OpenAggregate evicted = eldest.next().getValue();
            eldest.remove();
            send(evicted);
        }
        OpenAggregate aggregate = new OpenAggregate(
                stream,
                key,
                hashKey,
                place.predictedShard(),
                takeBuilder(rules.maxBytes() - RecordKeys.utf8Length(key)));
        open.put(place.group(), aggregate);
        return aggregate;
    }

    private void sendPlain(FormattedEvent e, String key) {
        sink.accept(
                new KinesisRecord(e.stream(), key, e.hashKey(), e.data(), e.length(), new int[] {e.index()}, 1, null));
    }

    private void send(OpenAggregate aggregate) {
        byte[] bytes = aggregate.builder.finish();
        builders.add(aggregate.builder);
        sink.accept(new KinesisRecord(
                aggregate.stream,
                aggregate.partitionKey,
                aggregate.hashKey,
                bytes,
                bytes.length,
                aggregate.indexes,
                aggregate.count,
                aggregate.uniformKey ? null : aggregate.predictedShard));
    }

    private AggregateBuilder takeBuilder(int maxBytes) {
        AggregateBuilder builder = builders.poll();
        if (builder == null) {
            return new AggregateBuilder(maxBytes);
        }
        builder.reset(maxBytes);
        return builder;
    }
}
