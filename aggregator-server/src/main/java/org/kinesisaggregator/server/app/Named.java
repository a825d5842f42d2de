package org.kinesisaggregator.server.app;

/**
 * A component of the application with the name its log lines and health problems use (an output id,
 * {@code forward 0.0.0.0:24224}). Immutable.
 */
record Named<T>(String name, T component) {}
