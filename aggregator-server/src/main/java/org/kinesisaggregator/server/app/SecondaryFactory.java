package org.kinesisaggregator.server.app;

import org.kinesisaggregator.buffer.Output;
import org.kinesisaggregator.conf.ConfElement;

/**
 * Makes the output of one {@code <secondary>} section of its {@code @type}
 * ({@link Plugins#secondaries()}): where a buffered output's chunks go once retries are exhausted.
 * Called on the assembling thread; constructs only (no I/O, no threads).
 */
@FunctionalInterface
public interface SecondaryFactory {

    /**
     * @param outputId the id of the secondary ({@code <primary id>-secondary}), for logs and metrics
     * @param env the application's environment
     * @throws org.kinesisaggregator.conf.ConfException when the section is invalid (file, line, parameter)
     */
    Output create(ConfElement element, String outputId, Aggregator.Environment env);
}
