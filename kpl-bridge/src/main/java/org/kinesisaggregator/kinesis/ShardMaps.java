package org.kinesisaggregator.kinesis;

import java.math.BigInteger;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import org.kinesisaggregator.kinesis.internal.ShardMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.ListShardsRequest;
import software.amazon.awssdk.services.kinesis.model.ListShardsResponse;
import software.amazon.awssdk.services.kinesis.model.Shard;

/**
 * Shard maps per stream, for grouping events with a {@code partition_key} by predicted shard. Loaded
 * with ListShards when first needed (on the writing thread), refreshed in the background when older
 * than {@code shard_map_refresh_interval} or after a prediction missed.
 *
 * <p>Thread-safe.
 */
final class ShardMaps {
    private static final Logger log = LoggerFactory.getLogger(ShardMaps.class);

    private final KinesisClient client;
    private final long refreshIntervalMillis;
    private final Clock clock;
    private final ExecutorService background;
    private final ConcurrentHashMap<String, ShardMap> maps = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Boolean> refreshing = new ConcurrentHashMap<>();

    ShardMaps(KinesisClient client, long refreshIntervalMillis, Clock clock, ExecutorService background) {
        this.client = client;
        this.refreshIntervalMillis = refreshIntervalMillis;
        this.clock = clock;
        this.background = background;
    }

    /** The stream's map, loading it now if there is none; null when it cannot be loaded. */
    ShardMap get(String stream) {
        ShardMap map = maps.get(stream);
        if (map == null) {
            return load(stream);
        }
        if (clock.millis() - map.loadedAt().toEpochMilli() > refreshIntervalMillis) {
            refreshSoon(stream);
        }
        return map;
    }

    /** Reloads in the background (a prediction missed: the stream was probably resharded). */
    void refreshSoon(String stream) {
        if (refreshing.putIfAbsent(stream, Boolean.TRUE) != null) {
            return;
        }
        try {
            background.execute(() -> {
                try {
                    load(stream);
                } finally {
                    refreshing.remove(stream);
                }
            });
        } catch (RejectedExecutionException e) {
            refreshing.remove(stream);
        }
    }

    private ShardMap load(String stream) {
        try {
            List<ShardMap.Shard> open = new ArrayList<>();
            String next = null;
            do {
                ListShardsRequest request = next == null
                        ? ListShardsRequest.builder().streamName(stream).build()
                        : ListShardsRequest.builder().nextToken(next).build();
                ListShardsResponse response = client.listShards(request);
                for (Shard shard : response.shards()) {
                    if (shard.sequenceNumberRange() == null
                            || shard.sequenceNumberRange().endingSequenceNumber() == null) {
                        open.add(new ShardMap.Shard(
                                shard.shardId(),
                                new BigInteger(shard.hashKeyRange().startingHashKey()),
                                new BigInteger(shard.hashKeyRange().endingHashKey())));
                    }
                }
                next = response.nextToken();
            } while (next != null);
            ShardMap map = new ShardMap(stream, open, clock.instant());
            ShardMap previous = maps.put(stream, map);
            if (previous == null || previous.shardCount() != map.shardCount()) {
                log.info("Kinesis stream {}: {} open shards", stream, map.shardCount());
            }
            return map;
        } catch (RuntimeException e) {
            log.warn(
                    "Kinesis stream {}: cannot list shards ({}); grouping its events by partition key instead",
                    stream,
                    e.getMessage());
            return maps.get(stream);
        }
    }
}
