package org.kinesisaggregator.server.app;

import io.micrometer.core.instrument.MeterRegistry;
import java.io.OutputStream;
import java.nio.file.Path;
import java.time.Clock;
import java.time.ZoneId;
import org.kinesisaggregator.buffer.EventSink;
import org.kinesisaggregator.buffer.Output;
import org.kinesisaggregator.conf.ConfElement;
import org.kinesisaggregator.server.output.OutputDefaults;

/**
 * What an {@link OutputFactory} gets from the application being assembled: the id of the output,
 * buffering, nested outputs, labels, and the few process-wide things outputs use. Implemented by
 * {@link OutputSection}; confined to the assembling thread.
 */
public interface OutputContext {

    /**
     * The output's id: its {@code @id}, or one derived from the match pattern and the type (see
     * docs/configuration.md, "Output ids"). Names its buffer directory and its threads.
     */
    String outputId();

    /**
     * Puts {@code output} behind a buffer built from the element's {@code <buffer>} section or v0.12
     * {@code buffer_*} parameters (marking them used) and its {@code <secondary>}, or behind a
     * synchronous adapter when {@code defaults} says so and there is no buffer configuration. The
     * application starts and closes the output and its buffer.
     */
    EventSink terminal(Output output, OutputDefaults defaults);

    /** The sink of a nested output element ({@code <store>} of copy), built by its {@code @type}'s factory. */
    EventSink child(ConfElement element);

    /** The router of label {@code name} ({@code @label} of relabel); an unknown label is a conf error. */
    EventSink label(String name, ConfElement referencedFrom);

    /** Where {@code stdout} outputs write (the process' standard output; tests pass their own). */
    OutputStream stdout();

    /** The machine's zone ({@code localtime}). */
    ZoneId zone();

    /**
     * With the {@code time} chunk key in this output's {@code <buffer>} (and its {@code timekey}),
     * the zone of its time slices ({@code timekey_zone}, {@code timekey_use_utc}, else the machine's);
     * null without it.
     *
     * @throws org.kinesisaggregator.conf.ConfException when the time chunk key has no timekey
     */
    default ZoneId timekeyZone() {
        return null;
    }

    /** Where outputs register their meters. */
    MeterRegistry registry();

    /** The process' clock. */
    Clock clock();

    /** This host's name ({@code ${hostname}}, {@code hostname_key}). */
    String hostname();

    /** {@code <system> root_dir}, or null: where outputs keep process-local state (e.g. KPL's temp directory). */
    Path rootDir();

    /**
     * A Fluentd-style conf warning about {@code paramName} of this output's element ("parameter 'x'
     * in <match …> {@code message}"), e.g. a plugin parameter accepted for compatibility that has no
     * effect here. Logged at start-up and listed by {@code --dry-run}.
     */
    void warn(String paramName, String message);

    /** Records a line for the {@code --dry-run} summary of this output. */
    void note(String message);
}
