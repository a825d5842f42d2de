package org.kinesisaggregator.server.app;

import io.micrometer.core.instrument.MeterRegistry;
import org.kinesisaggregator.buffer.BufferSettings;
import org.kinesisaggregator.buffer.EventBuffer;
import org.kinesisaggregator.buffer.Output;

/**
 * Creates the buffer of one buffered output. By default the {@link Aggregator} uses buffer-store's
 * {@code Buffers.create} with the environment's clock and the output's registry; tests may plug their own.
 *
 * <p>The buffer does not start or close {@code output} or {@code secondaryOrNull}: the
 * {@link Aggregator} does. Called on the assembling thread; constructs only (no I/O, no threads).
 */
@FunctionalInterface
public interface BufferFactory {

    /**
     * @param outputId the output's id ({@code @id} or derived), for metrics, logs and thread names
     * @param settings validated settings; for a file buffer {@code settings.path()} is the buffer's own
     *     directory, {@code <path>/<output id>}
     * @param output where chunks are flushed
     * @param secondaryOrNull the {@code <secondary>} output, or null
     * @param registry where the buffer's meters go (the output's own: they follow it across reloads)
     */
    EventBuffer create(
            String outputId, BufferSettings settings, Output output, Output secondaryOrNull, MeterRegistry registry);
}
