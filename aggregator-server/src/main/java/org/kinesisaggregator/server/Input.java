package org.kinesisaggregator.server;

import java.time.Duration;

/**
 * A {@code <source>}: takes events from the outside and hands them to an
 * {@link org.kinesisaggregator.buffer.EventSink}. Lifecycle: construct (no I/O) → {@link #start()}
 * → {@link #drain(Duration)} (on shutdown) → {@link #close()}.
 */
public interface Input extends AutoCloseable {

    /** A short name for logs and {@code /api/plugins.json}, e.g. {@code forward}. */
    String type();

    /** Binds and starts accepting. */
    void start() throws Exception;

    /**
     * Stops accepting new connections and waits, at most {@code timeout}, for messages already being
     * received to be appended and acked. Connections are then closed. Idempotent.
     */
    void drain(Duration timeout);

    /** Releases everything; idempotent; bounded in time. */
    @Override
    void close();
}
