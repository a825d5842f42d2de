package org.kinesisaggregator.server.app;

/**
 * Maps one {@code <source>} section of its {@code @type} ({@link Plugins#sources()}) and adds what it
 * makes to the application through {@code section}: an input that feeds a label's router (forward,
 * sample, http), an admin endpoint (monitor_agent, prometheus), or labels for the admin endpoints'
 * gauges (prometheus_monitor, prometheus_output_monitor).
 *
 * <p>Called on the assembling thread; constructs only (no I/O, no threads: {@code Input.start()} does that).
 */
@FunctionalInterface
interface SourceFactory {

    /** @throws org.kinesisaggregator.conf.ConfException when the section is invalid (file, line, parameter) */
    void add(SourceSection section);
}
