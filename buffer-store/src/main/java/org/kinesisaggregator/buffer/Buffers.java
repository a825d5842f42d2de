package org.kinesisaggregator.buffer;

import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;
import org.kinesisaggregator.buffer.internal.BufferEngine;

/**
 * Creates buffers: {@code @type file} (chunk files and a MapDB ledger in {@code settings.path()})
 * or {@code @type memory}. The buffer neither starts nor closes the outputs: their owner does.
 *
 * <p>Stateless; thread-safe.
 */
public final class Buffers {
    private Buffers() {}

    /**
     * A buffer in front of {@code output}. Call {@link EventBuffer#start()} before appending.
     *
     * @param outputId the output's id: the {@code output} tag of the buffer's metrics and the name in
     *     its log lines and thread names (bounded: one per configured output)
     * @param settings validated settings; for {@code file}, {@code path} is this buffer's own directory
     * @param output where chunks are flushed
     * @param secondaryOrNull the {@code <secondary>} output, or null (then {@code failed/} is used)
     * @param clock wall clock for chunk ages, flush intervals, retry times and the dedup window
     * @param registry where the {@code buffer.*} meters go
     */
    public static EventBuffer create(
            String outputId,
            BufferSettings settings,
            Output output,
            Output secondaryOrNull,
            Clock clock,
            MeterRegistry registry) {
        return create(outputId, settings, output, secondaryOrNull, clock, registry, new SplittableRandom());
    }

    /** As above, with the randomness of {@code retry_randomize} injected (tests). */
    public static EventBuffer create(
            String outputId,
            BufferSettings settings,
            Output output,
            Output secondaryOrNull,
            Clock clock,
            MeterRegistry registry,
            RandomGenerator random) {
        return BufferEngine.create(outputId, settings, output, secondaryOrNull, clock, random, registry);
    }

    /**
     * A buffer whose output id is the last element of {@code settings.path()} (the conf layer passes
     * {@code <path>/<output id>}), or {@code output.type()} for a memory buffer without path.
     */
    public static EventBuffer create(
            BufferSettings settings, Output output, Output secondaryOrNull, Clock clock, MeterRegistry registry) {
        String id = settings.path() != null && settings.path().getFileName() != null
                ? settings.path().getFileName().toString()
                : output.type();
        return create(id, settings, output, secondaryOrNull, clock, registry);
    }
}
