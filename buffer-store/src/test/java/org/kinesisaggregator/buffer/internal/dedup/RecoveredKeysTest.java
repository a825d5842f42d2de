package org.kinesisaggregator.buffer.internal.dedup;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The bounded heap that rebuilds the dedup window at start: the youngest keys, oldest first. */
class RecoveredKeysTest {
    @Test
    void keepsTheYoungestKeysInsideTheWindowAndHandsThemOutOldestFirst() {
        RecoveredKeys keys = new RecoveredKeys(1500, 100);
        List<Long> times = new ArrayList<>();
        for (long t = 0; t < 5000; t++) {
            times.add(t);
        }
        Collections.shuffle(times, new Random(7)); // frames of chunks staged side by side interleave
        for (long t : times) {
            keys.add(t, -t, t);
        }
        assertThat(keys.size()).isEqualTo(1500);
        assertThat(keys.dropped()).as("inside the window, left out for room").isEqualTo(5000 - 101 - 1500);
        assertThat(keys.youngestDropped()).isEqualTo(3499);
        List<Long> out = new ArrayList<>();
        keys.drainOldestFirst((hi, lo, at) -> {
            assertThat(hi).isEqualTo(at);
            assertThat(lo).isEqualTo(-at);
            out.add(at);
        });
        assertThat(out).hasSize(1500).isSorted().startsWith(3500L).endsWith(4999L);
        assertThat(keys.size()).isZero();
    }

    @Test
    void noCapacityTakesNothing() {
        RecoveredKeys keys = new RecoveredKeys(0, 0);
        assertThat(keys.add(1, 1, 10)).isFalse();
        assertThat(keys.size()).isZero();
        assertThat(keys.youngestDropped()).isEqualTo(Long.MIN_VALUE);
    }
}
