package org.kinesisaggregator.server.app;

import org.kinesisaggregator.buffer.EventSink;
import org.kinesisaggregator.conf.ConfElement;

/**
 * Builds what a {@code <match>} (or a {@code <store>}) of one {@code @type} does with its events.
 * Receives the element so that it maps its own parameters (marking them used; what stays unused is
 * reported) onto typed settings; a terminal output goes through {@link OutputContext#terminal} to
 * get its buffer.
 *
 * <p>{@link KinesisOutputFactory} (the three Kinesis types) and {@link BuiltinOutputs} (file, stdout,
 * null, forward, copy, relabel) are the ones shipped: each maps the element with a {@code *Conf} class of
 * this package, then builds the output from those settings.
 *
 * <p>Called on the assembling thread only.
 */
@FunctionalInterface
public interface OutputFactory {

    /**
     * @throws org.kinesisaggregator.conf.ConfException when the element is invalid (file, line, parameter)
     */
    EventSink create(ConfElement element, OutputContext context);
}
