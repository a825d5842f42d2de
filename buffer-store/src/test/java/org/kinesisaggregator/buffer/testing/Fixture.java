package org.kinesisaggregator.buffer.testing;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.kinesisaggregator.buffer.BufferSettings;
import org.kinesisaggregator.buffer.Buffers;
import org.kinesisaggregator.buffer.EventBuffer;
import org.kinesisaggregator.buffer.Output;
import org.kinesisaggregator.buffer.RetrySettings;

/** Opens buffers for a test and closes them after it. Not thread-safe; one per test. */
public final class Fixture implements AutoCloseable {
    public final ManualClock clock = new ManualClock(1_700_000_000_000L);
    public final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final List<EventBuffer> open = new ArrayList<>();

    /** Test-friendly settings: 10 ms flush-thread polling, no burst wait, non-random 1 s backoff. */
    public static BufferSettings.Builder settings(BufferSettings.BufferType type, Path dir) {
        return BufferSettings.builder(type, dir)
                .flushThreadInterval(Duration.ofMillis(10))
                .flushThreadBurstInterval(Duration.ZERO)
                .shutdownTimeout(Duration.ofSeconds(10))
                .retry(retry(0, false));
    }

    public static RetrySettings retry(int maxTimes, boolean forever) {
        return new RetrySettings(
                RetrySettings.RetryType.EXPONENTIAL_BACKOFF,
                Duration.ofSeconds(1),
                2.0,
                null,
                false,
                Duration.ofHours(72),
                maxTimes,
                forever,
                0.8);
    }

    public EventBuffer start(BufferSettings settings, Output output, Output secondary) throws Exception {
        EventBuffer b = Buffers.create("test", settings, output, secondary, clock, registry, new SplittableRandom(1));
        open.add(b);
        b.start();
        return b;
    }

    public double counter(String name) {
        return registry.find(name).counters().stream()
                .mapToDouble(c -> c.count())
                .sum();
    }

    @Override
    public void close() {
        for (EventBuffer b : open) {
            b.close();
        }
        open.clear();
    }
}
