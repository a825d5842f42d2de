package org.kinesisaggregator.buffer.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.lang.ref.WeakReference;
import java.time.Duration;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.kinesisaggregator.buffer.BufferStats;

class BufferMetricsTest {

    /**
     * The gauges read a supplier that nothing but the gauge references (as the engine passes a method reference):
     * Micrometer holds a gauge's target weakly unless told otherwise, and after a GC every buffer gauge read NaN.
     */
    @Test
    void gaugesKeepReadingAfterTheirSupplierIsOnlyReachableThroughThem() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        WeakReference<Object> canary = registerWithUnreferencedSupplier(registry);

        // a GC that clears an object as unreachable as the supplier would have cleared the supplier too
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> {
            System.gc();
            return canary.get() == null;
        });

        assertThat(registry.get("buffer.bytes").gauge().value()).isEqualTo(4096.0);
        assertThat(registry.get("buffer.events").gauge().value()).isEqualTo(12.0);
        assertThat(registry.get("buffer.queue.length").gauge().value()).isEqualTo(2.0);
        assertThat(registry.get("buffer.chunks").tag("state", "staged").gauge().value())
                .isEqualTo(1.0);
        assertThat(registry.get("buffer.retry.count").gauge().value()).isEqualTo(3.0);
        assertThat(registry.get("buffer.oldest.chunk.age").gauge().value()).isEqualTo(5.0);
    }

    private static WeakReference<Object> registerWithUnreferencedSupplier(SimpleMeterRegistry registry) {
        BufferStats stats = new BufferStats(1, 2, 4096, 12, 3, 5000);
        new BufferMetrics(registry, "out", "file", () -> stats);
        return new WeakReference<>(new Object());
    }
}
