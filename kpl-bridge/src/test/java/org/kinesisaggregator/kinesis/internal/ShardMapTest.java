package org.kinesisaggregator.kinesis.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.kinesisaggregator.kinesis.testing.TestSeed;

class ShardMapTest {
    private static final BigInteger MAX = BigInteger.ONE.shiftLeft(128).subtract(BigInteger.ONE);

    @Test
    void hashesKeysLikeKinesisAndFindsTheirShard() throws Exception {
        long seed = TestSeed.create("ShardMapTest");
        Random random = new Random(seed);
        int shards = 7;
        List<ShardMap.Shard> list = new ArrayList<>();
        BigInteger step = MAX.divide(BigInteger.valueOf(shards));
        for (int i = 0; i < shards; i++) {
            BigInteger start = step.multiply(BigInteger.valueOf(i));
            BigInteger end = i == shards - 1 ? MAX : start.add(step).subtract(BigInteger.ONE);
            list.add(new ShardMap.Shard("shardId-" + i, start, end));
        }
        Collections.shuffle(list, random);
        ShardMap map = new ShardMap("s", list, Instant.EPOCH);
        HashKeys keys = new HashKeys();
        MessageDigest md5 = MessageDigest.getInstance("MD5");
        for (int n = 0; n < 10_000; n++) {
            String key = "user-" + random.nextInt() + "-ключ";
            keys.hashPartitionKey(key);
            BigInteger expected = new BigInteger(1, md5.digest(key.getBytes(StandardCharsets.UTF_8)));
            assertThat(HashKeys.toDecimal(keys.high(), keys.low())).isEqualTo(expected.toString());
            int shard = Math.min(expected.divide(step).intValue(), shards - 1);
            assertThat(map.shardFor(keys.high(), keys.low()))
                    .as("seed %d key %s", seed, key)
                    .isEqualTo("shardId-" + shard);
        }
        assertThat(keys.parseExplicitHashKey("0")).isTrue();
        assertThat(map.shardFor(keys.high(), keys.low())).isEqualTo("shardId-0");
        assertThat(keys.parseExplicitHashKey(MAX.toString())).isTrue();
        assertThat(map.shardFor(keys.high(), keys.low())).isEqualTo("shardId-6");
        assertThat(keys.parseExplicitHashKey(MAX.add(BigInteger.ONE).toString()))
                .isFalse();
        assertThat(keys.parseExplicitHashKey("-1")).isFalse();
        assertThat(HashKeys.isExplicitHashKey("12x")).isFalse();
    }

    @Test
    void aGapInTheMapFindsNoShard() {
        ShardMap map = new ShardMap(
                "s",
                List.of(
                        new ShardMap.Shard("a", BigInteger.ZERO, BigInteger.TEN),
                        new ShardMap.Shard("b", BigInteger.valueOf(20), MAX)),
                Instant.EPOCH);
        HashKeys keys = new HashKeys();
        keys.parseExplicitHashKey("15");
        assertThat(map.shardFor(keys.high(), keys.low())).isNull();
        keys.parseExplicitHashKey("10");
        assertThat(map.shardFor(keys.high(), keys.low())).isEqualTo("a");
    }
}
