package org.kinesisaggregator.kinesis.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.kinesisaggregator.kinesis.testing.TestSeed;

class RoutingKeysTest {
    private static final BigInteger MAX = BigInteger.ONE.shiftLeft(128).subtract(BigInteger.ONE);

    @Test
    void nearKeyHashesToTheSameTopTwelveBitsAsTheHashKey() throws Exception {
        long seed = TestSeed.create("RoutingKeysTest.near");
        Random random = new Random(seed);
        RoutingKeys routing = new RoutingKeys();
        HashKeys scratch = new HashKeys();
        MessageDigest md5 = MessageDigest.getInstance("MD5");
        for (int n = 0; n < 2_000; n++) {
            BigInteger hashKey = new BigInteger(128, random);
            String key = routing.near(hashKey.shiftRight(64).longValue(), scratch);
            BigInteger byKey = new BigInteger(1, md5.digest(key.getBytes(StandardCharsets.UTF_8)));
            assertThat(byKey.shiftRight(128 - RoutingKeys.PREFIX_BITS))
                    .as("seed %d hash key %s key %s", seed, hashKey, key)
                    .isEqualTo(hashKey.shiftRight(128 - RoutingKeys.PREFIX_BITS));
            assertThat(key.length()).isLessThanOrEqualTo(8);
        }
        // the same slice gives the same key: nothing is searched twice
        assertThat(routing.near(0x1234_5678_0000_0000L, scratch))
                .isEqualTo(routing.near(0x1230_0000_0000_0001L, scratch));
    }

    @Test
    void keyInShardHashesIntoThatShardWhereverItsBoundariesAre() throws Exception {
        long seed = TestSeed.create("RoutingKeysTest.inShard");
        Random random = new Random(seed);
        // Three even shards (boundaries inside 12-bit slices) and one shard far smaller than a slice.
        BigInteger third = MAX.divide(BigInteger.valueOf(3));
        BigInteger tinyStart = third.multiply(BigInteger.TWO).add(BigInteger.ONE);
        BigInteger tinyEnd = tinyStart.add(MAX.shiftRight(16));
        ShardMap map = new ShardMap(
                "s",
                List.of(
                        new ShardMap.Shard("a", BigInteger.ZERO, third),
                        new ShardMap.Shard("b", third.add(BigInteger.ONE), third.multiply(BigInteger.TWO)),
                        new ShardMap.Shard("tiny", tinyStart, tinyEnd),
                        new ShardMap.Shard("c", tinyEnd.add(BigInteger.ONE), MAX)),
                Instant.EPOCH);
        RoutingKeys routing = new RoutingKeys();
        HashKeys keys = new HashKeys();
        HashKeys scratch = new HashKeys();
        List<BigInteger> hashKeys = new ArrayList<>(List.of(
                third,
                third.add(BigInteger.ONE),
                tinyStart,
                tinyEnd,
                tinyEnd.add(BigInteger.ONE),
                BigInteger.ZERO,
                MAX));
        for (int n = 0; n < 1_000; n++) {
            hashKeys.add(new BigInteger(128, random));
        }
        for (BigInteger hashKey : hashKeys) {
            assertThat(keys.parseExplicitHashKey(hashKey.toString())).isTrue();
            String shard = map.shardFor(keys.high(), keys.low());
            String key = routing.inShard(map, shard, keys.high(), scratch);
            scratch.hashPartitionKey(key);
            assertThat(map.shardFor(scratch.high(), scratch.low()))
                    .as("seed %d hash key %s key %s", seed, hashKey, key)
                    .isEqualTo(shard);
        }
    }

    @Test
    void withoutSuchAShardTheNearKeyStands() {
        RoutingKeys routing = new RoutingKeys();
        HashKeys scratch = new HashKeys();
        ShardMap empty = new ShardMap("s", List.of(), Instant.EPOCH);
        String near = routing.near(-1L, scratch);
        assertThat(routing.inShard(empty, null, -1L, scratch)).isEqualTo(near);
    }
}
