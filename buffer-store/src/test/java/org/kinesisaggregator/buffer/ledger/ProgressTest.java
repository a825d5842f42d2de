package org.kinesisaggregator.buffer.ledger;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.BitSet;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ProgressTest {

    @Test
    void rangesMatchABitSetAndRoundTripThroughTheLedgerRecord() throws Exception {
        long seed = 7;
        System.out.println("ProgressTest seed=" + seed);
        Random random = new Random(seed);
        for (int round = 0; round < 200; round++) {
            int n = 1 + random.nextInt(500);
            BitSet expected = new BitSet();
            Progress p = Progress.NONE;
            for (int step = 0; step < 5; step++) {
                BitSet more = new BitSet();
                for (int i = 0; i < n; i++) {
                    if (random.nextInt(4) == 0) {
                        more.set(i);
                    }
                }
                expected.or(more);
                p = p.with(more);
            }
            for (int i = 0; i < n; i++) {
                assertThat(p.isDone(i))
                        .as("seed %d round %d index %d", seed, round, i)
                        .isEqualTo(expected.get(i));
            }
            assertThat(p.doneCount()).isEqualTo(expected.cardinality());
            ChunkRecord r = new ChunkRecord(9, ChunkState.QUEUED, 1, 2, n, 3, 4, 5, p);
            assertThat(ChunkRecord.decode(9, r.encode())).isEqualTo(r);
        }
    }

    @Test
    void aPrefixIsOneRange() {
        BitSet b = new BitSet();
        b.set(0, 100_000);
        Progress p = Progress.of(b);
        assertThat(p.rangeCount()).isEqualTo(1);
        assertThat(p.isComplete(100_000)).isTrue();
        assertThat(p.isComplete(100_001)).isFalse();
        assertThat(new ChunkRecord(1, ChunkState.QUEUED, 0, 0, 100_000, 0, 0, 0, p).encode())
                .hasSizeLessThan(64);
    }
}
