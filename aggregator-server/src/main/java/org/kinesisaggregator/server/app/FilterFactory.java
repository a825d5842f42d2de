package org.kinesisaggregator.server.app;

import org.kinesisaggregator.conf.ConfElement;
import org.kinesisaggregator.server.route.EventFilter;

/**
 * Makes the filter of one {@code <filter>} section of its {@code @type} ({@link Plugins#filters()}).
 * Called on the assembling thread; constructs only (no I/O, no threads).
 */
@FunctionalInterface
public interface FilterFactory {

    /**
     * @param env the application's environment (host name, zone, clock, standard output)
     * @throws org.kinesisaggregator.conf.ConfException when the section is invalid (file, line, parameter)
     */
    EventFilter create(ConfElement element, Aggregator.Environment env);
}
