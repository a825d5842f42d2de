package org.kinesisaggregator.kinesis.internal;

import java.math.BigInteger;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;

/**
 * The open shards of one stream and their hash key ranges, as ListShards reported them at
 * {@link #loadedAt()}: answers "which shard does this hash key go to". Immutable; thread-safe.
 */
public final class ShardMap {
    /** One shard's range, inclusive at both ends. */
    public record Shard(String shardId, BigInteger startingHashKey, BigInteger endingHashKey) {
        public Shard {
            Objects.requireNonNull(shardId, "shardId");
        }
    }

    private final String stream;
    private final String[] ids;
    private final long[] startHigh;
    private final long[] startLow;
    private final long[] endHigh;
    private final long[] endLow;
    private final Instant loadedAt;

    /** Builds a map from open shards (closed shards must be left out by the caller). */
    public ShardMap(String stream, List<Shard> openShards, Instant loadedAt) {
        this.stream = stream;
        this.loadedAt = loadedAt;
        List<Shard> sorted = new ArrayList<>(openShards);
        sorted.sort(Comparator.comparing(Shard::startingHashKey));
        int n = sorted.size();
        ids = new String[n];
        startHigh = new long[n];
        startLow = new long[n];
        endHigh = new long[n];
        endLow = new long[n];
        for (int i = 0; i < n; i++) {
            Shard s = sorted.get(i);
            ids[i] = s.shardId();
            startHigh[i] = s.startingHashKey().shiftRight(64).longValue();
            startLow[i] = s.startingHashKey().longValue();
            endHigh[i] = s.endingHashKey().shiftRight(64).longValue();
            endLow[i] = s.endingHashKey().longValue();
        }
    }

    public String stream() {
        return stream;
    }

    public Instant loadedAt() {
        return loadedAt;
    }

    public int shardCount() {
        return ids.length;
    }

    /** The shard whose range holds (high, low), or null when none does (a gap: the map is stale). */
    public String shardFor(long high, long low) {
        int lo = 0;
        int hi = ids.length - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (HashKeys.compare(high, low, startHigh[mid], startLow[mid]) < 0) {
                hi = mid - 1;
            } else if (HashKeys.compare(high, low, endHigh[mid], endLow[mid]) > 0) {
                lo = mid + 1;
            } else {
                return ids[mid];
            }
        }
        return null;
    }

    @Override
    public String toString() {
        return "ShardMap[" + stream + ", shards=" + ids.length + ", loadedAt=" + loadedAt + "]";
    }
}
