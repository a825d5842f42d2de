package org.kinesisaggregator.kinesis.internal;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Partition keys chosen for where their MD5 falls, so that a Kinesis record routed by its partition
 * key lands where its explicit hash key would send it. KPL sends a record without its explicit hash
 * key while it has not yet discovered the stream's RecordDistributionStrategy (right after a start,
 * with several records at once): Kinesis then routes by the MD5 of the partition key alone.
 *
 * <p>{@link #near} answers, without a shard map, a key whose MD5 has the same top
 * {@value #PREFIX_BITS} bits as the hash key: the same shard whenever no shard boundary falls
 * inside that 1/4096 slice of the key space (never with 2, 4, ... 4096 evenly split shards).
 * {@link #inShard} answers, with a map, a key whose MD5 is in the very shard of the hash key.
 *
 * <p>Candidates are the hexadecimal texts of a counter ({@code "0"}, {@code "1"}, ...): short and
 * the same on every node. The first key of each top-bits slice is kept, filled as candidates are
 * hashed (about 34 000 MD5s fill all 4096; one slice costs about 4096 at worst); keys found for a
 * shard whose slice straddles a boundary are kept per stream and shard (a shard id keeps its range
 * for life).
 *
 * <p>Thread-safe; the caller lends a {@link HashKeys} for the hashing.
 */
public final class RoutingKeys {
    /** How many top bits of the MD5 {@link #near} matches. */
    public static final int PREFIX_BITS = 12;

    private static final long MAX_CANDIDATES = 1L << 26;

    private final AtomicReferenceArray<String> byPrefix = new AtomicReferenceArray<>(1 << PREFIX_BITS);
    private final AtomicLong nextCandidate = new AtomicLong();
    private final ConcurrentHashMap<String, String> byShard = new ConcurrentHashMap<>();

    /**
     * A partition key whose MD5 has the same top {@value #PREFIX_BITS} bits as the hash key
     * (high, low). {@code scratch}'s value is overwritten.
     */
    public String near(long high, HashKeys scratch) {
        int prefix = prefixOf(high);
        String key = byPrefix.get(prefix);
        if (key != null) {
            return key;
        }
        for (long tries = 0; tries < MAX_CANDIDATES; tries++) {
            String candidate = Long.toHexString(nextCandidate.getAndIncrement());
            scratch.hashPartitionKey(candidate);
            int found = prefixOf(scratch.high());
            byPrefix.compareAndSet(found, null, candidate);
            if (found == prefix) {
                return byPrefix.get(prefix);
            }
        }
        throw new IllegalStateException(
                "no partition key hashes into slice " + prefix + " after " + MAX_CANDIDATES + " candidates");
    }

    /**
     * A partition key whose MD5 falls in {@code shardId} of {@code map}, the shard of the hash key
     * (high, low): the {@link #near} key when it does, else one searched for (about as many
     * candidates as the stream has shards of that size) and kept. Falls back to the {@link #near}
     * key when the map has no such shard. {@code scratch}'s value is overwritten.
     */
    public String inShard(ShardMap map, String shardId, long high, HashKeys scratch) {
        String near = near(high, scratch);
        if (shardId == null) {
            return near;
        }
        scratch.hashPartitionKey(near);
        if (shardId.equals(map.shardFor(scratch.high(), scratch.low()))) {
            return near;
        }
        String cacheKey = map.stream() + '\u0000' + shardId;
        String known = byShard.get(cacheKey);
        if (known != null) {
            return known;
        }
        for (long n = 0; n < MAX_CANDIDATES; n++) {
            String candidate = "s" + Long.toHexString(n);
            scratch.hashPartitionKey(candidate);
            if (shardId.equals(map.shardFor(scratch.high(), scratch.low()))) {
                String previous = byShard.putIfAbsent(cacheKey, candidate);
                return previous != null ? previous : candidate;
            }
        }
        return near;
    }

    private static int prefixOf(long high) {
        return (int) (high >>> (Long.SIZE - PREFIX_BITS));
    }
}
