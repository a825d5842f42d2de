package org.kinesisaggregator.buffer.internal.dedup;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The bounded key table: its memory by arithmetic on its arrays, eviction order, and a seeded model. */
class DedupTableTest {

    @Test
    void theDefaultLimitHoldsAMillionKeysAt32BytesEach() {
        DedupTable.Sizing s = DedupTable.sizing(32L * 1024 * 1024);
        assertThat(s.capacity()).isEqualTo(1 << 20);
        assertThat(s.indexSlots()).isEqualTo(1 << 21);
        assertThat(s.bytes()).isEqualTo(32L * 1024 * 1024);
        assertThat(s.bytes() / s.capacity())
                .as("bytes per key: hi + lo + seenAt longs, two int index slots")
                .isEqualTo(3 * Long.BYTES + 2 * Integer.BYTES);
    }

    @Test
    void theArraysNeverExceedTheLimitAndTheIndexStaysAtMostHalfFull() {
        for (long limit : new long[] {1024, 4096, 100_000, 48L * 1024 * 1024, 1L << 34}) {
            DedupTable.Sizing s = DedupTable.sizing(limit);
            assertThat(s.bytes()).as("limit %d", limit).isLessThanOrEqualTo(limit);
            assertThat(s.indexSlots()).as("limit %d", limit).isGreaterThanOrEqualTo(2 * s.capacity());
            assertThat(Integer.bitCount(s.indexSlots())).isEqualTo(1);
            assertThat((double) s.bytes() / s.capacity()).as("limit %d", limit).isBetween(32.0, 40.0);
        }
    }

    @Test
    void fillingPastCapacityEvictsTheOldestFirstAndTheHeapStaysWithinTheLimit() {
        long limit = 64 * 1024;
        DedupTable t = new DedupTable(limit);
        int capacity = t.capacity();
        assertThat(capacity).isEqualTo(2048);
        assertThat(t.allocatedBytes()).as("starts small").isLessThan(limit);
        List<Long> evicted = new ArrayList<>();
        for (int i = 0; i < capacity + 10; i++) {
            t.add(i, DedupKey.fmix64(i), 1000L + i, (hi, lo, seenAt) -> evicted.add(hi));
            assertThat(t.allocatedBytes()).isLessThanOrEqualTo(limit);
        }
        assertThat(evicted).containsExactly(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L);
        assertThat(t.size()).isEqualTo(capacity);
        assertThat(t.allocatedBytes()).isEqualTo(t.maxBytes()).isLessThanOrEqualTo(limit);
        assertThat(t.seenAt(9, DedupKey.fmix64(9))).isEqualTo(Long.MIN_VALUE);
        assertThat(t.seenAt(10, DedupKey.fmix64(10))).isEqualTo(1010L);
        assertThat(t.seenAt(capacity + 9, DedupKey.fmix64(capacity + 9))).isEqualTo(1000L + capacity + 9);
    }

    @Test
    void aSeededModelAgreesWithALinkedHashMap() {
        long seed = 42;
        SplittableRandom random = new SplittableRandom(seed);
        DedupTable t = new DedupTable(4096);
        int capacity = t.capacity();
        LinkedHashMap<Long, Long> model = new LinkedHashMap<>();
        long now = 0;
        for (int step = 0; step < 50_000; step++) {
            long k = random.nextInt(400); // few distinct keys: re-adds, forgets and probe-run collisions
            long lo = k * 31; // weak low bits on purpose: long probe runs exercise the backward-shift delete
            int action = random.nextInt(10);
            now += random.nextInt(3);
            if (action < 6) {
                model.remove(k);
                if (model.size() == capacity) {
                    Long oldest = model.keySet().iterator().next();
                    model.remove(oldest);
                }
                model.put(k, now);
                t.add(k, lo, now, (hi, l, s) -> {});
            } else if (action < 8) {
                assertThat(t.forget(k, lo)).as("seed %d step %d", seed, step).isEqualTo(model.remove(k) != null);
            } else {
                long cutoff = now - 50;
                model.values().removeIf(s -> s <= cutoff);
                t.expire(cutoff, (hi, l, s) -> {});
            }
            if (step % 97 == 0) {
                for (long q = 0; q < 400; q++) {
                    Long expected = model.get(q);
                    assertThat(t.seenAt(q, q * 31))
                            .as("seed %d step %d key %d", seed, step, q)
                            .isEqualTo(expected == null ? Long.MIN_VALUE : expected);
                }
            }
            assertThat(t.size()).isLessThanOrEqualTo(capacity);
        }
        assertThat(t.size()).isEqualTo(model.size());
        for (Map.Entry<Long, Long> e : model.entrySet()) {
            assertThat(t.seenAt(e.getKey(), e.getKey() * 31)).isEqualTo(e.getValue());
        }
    }
}
