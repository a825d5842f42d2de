package org.kinesisaggregator.server.app;

import io.micrometer.core.instrument.MeterRegistry;
import org.kinesisaggregator.buffer.EventSink;
import org.kinesisaggregator.server.ForwardSettings;
import org.kinesisaggregator.server.Input;

/**
 * Creates the input of a {@code <source> @type forward}: {@code ForwardServer::new} (tests may
 * pass their own).
 *
 * <p>Called on the assembling thread; constructs only (no I/O, no threads: {@code Input.start()} does that).
 */
@FunctionalInterface
public interface InputFactory {

    /**
     * @param settings the mapped {@code <source>}
     * @param sink where the source's events go: the router of its {@code @label} (or the top level)
     * @param registry for the input's meters
     */
    Input create(ForwardSettings settings, EventSink sink, MeterRegistry registry);
}
