package org.kinesisaggregator.server.app;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.kinesisaggregator.server.ForwardServer;
import org.kinesisaggregator.server.output.FileOutput;

/**
 * The plug-in registry: source, output, filter and {@code <secondary>} types, and the buffer
 * factory. Immutable; every {@code with…} returns a new registry.
 *
 * <p>{@link #defaults()}: the sources are {@code forward} (the {@link ForwardServer}), {@code sample}
 * and {@code dummy}, {@code http}, the admin endpoints {@code monitor_agent} and {@code prometheus},
 * and {@code prometheus_monitor} and {@code prometheus_output_monitor} (labels of the admin
 * endpoints' gauges); the outputs are the built-in
 * ones and the Kinesis types ({@code kinesis_producer}, {@code kinesis_streams_aggregated},
 * {@code kinesis_streams}), which share one {@link KinesisOutputFactory} and so one pool of KPL
 * daemons; the filters are grep, record_transformer, stdout and parser; the secondaries file and
 * secondary_file; buffers come from buffer-store unless a test sets a factory.
 */
public final class Plugins {
    private final Map<String, SourceFactory> sources;
    private final Map<String, OutputFactory> outputs;
    private final Map<String, FilterFactory> filters;
    private final Map<String, SecondaryFactory> secondaries;
    private final BufferFactory bufferFactory;

    private Plugins(
            Map<String, SourceFactory> sources,
            Map<String, OutputFactory> outputs,
            Map<String, FilterFactory> filters,
            Map<String, SecondaryFactory> secondaries,
            BufferFactory bufferFactory) {
        this.sources = Collections.unmodifiableMap(new LinkedHashMap<>(sources));
        this.outputs = Collections.unmodifiableMap(new LinkedHashMap<>(outputs));
        this.filters = Collections.unmodifiableMap(new LinkedHashMap<>(filters));
        this.secondaries = Collections.unmodifiableMap(new LinkedHashMap<>(secondaries));
        this.bufferFactory = bufferFactory;
    }

    /** What this build has. */
    public static Plugins defaults() {
        Map<String, OutputFactory> outputs = new LinkedHashMap<>(BuiltinOutputs.factories());
        KinesisOutputFactory kinesis = new KinesisOutputFactory();
        for (String type : KinesisOutputFactory.TYPES) {
            outputs.put(type, kinesis);
        }
        Map<String, FilterFactory> filters = new LinkedHashMap<>();
        filters.put("grep", (e, env) -> GrepConf.filter(e));
        filters.put("record_transformer", (e, env) -> RecordTransformerConf.filter(e, env.hostname(), env.zone()));
        filters.put("stdout", (e, env) -> FilterConf.stdout(e, env.stdout(), env.zone(), env.hostname()));
        filters.put("parser", (e, env) -> FilterConf.parser(e, env.clock(), env.zone()));
        Map<String, SecondaryFactory> secondaries = new LinkedHashMap<>();
        secondaries.put(
                "file", (e, id, env) -> new FileOutput(id, FileOutputConf.settings(e, env.zone(), env.hostname())));
        secondaries.put("secondary_file", (e, id, env) -> FileOutputConf.secondaryFile(id, e));
        Map<String, SourceFactory> sources = new LinkedHashMap<>();
        sources.put("forward", ForwardConf.source(ForwardServer::new));
        sources.put("sample", SampleConf::addSource);
        sources.put("dummy", SampleConf::addSource);
        sources.put("http", HttpConf::addSource);
        sources.put("monitor_agent", AdminSources::addAdmin);
        sources.put("prometheus", AdminSources::addAdmin);
        sources.put(AdminSources.PROMETHEUS_MONITOR, AdminSources::addMonitor);
        sources.put(AdminSources.PROMETHEUS_OUTPUT_MONITOR, AdminSources::addMonitor);
        return new Plugins(sources, outputs, filters, secondaries, null);
    }

    /**
     * Registers (or replaces) a source type that works as {@code forward} does: its {@code <source>} is
     * mapped onto {@link org.kinesisaggregator.server.ForwardSettings} and {@code factory} makes the input.
     */
    public Plugins withInput(String type, InputFactory factory) {
        Map<String, SourceFactory> m = new LinkedHashMap<>(sources);
        m.put(type, ForwardConf.source(Objects.requireNonNull(factory, "factory")));
        return new Plugins(m, outputs, filters, secondaries, bufferFactory);
    }

    /** Registers (or replaces) a source type of any kind (tests; the built-in ones are in {@link #defaults()}). */
    Plugins withSource(String type, SourceFactory factory) {
        Map<String, SourceFactory> m = new LinkedHashMap<>(sources);
        m.put(type, Objects.requireNonNull(factory, "factory"));
        return new Plugins(m, outputs, filters, secondaries, bufferFactory);
    }

    /** Registers (or replaces) an output type. */
    public Plugins withOutput(String type, OutputFactory factory) {
        Map<String, OutputFactory> m = new LinkedHashMap<>(outputs);
        m.put(type, Objects.requireNonNull(factory, "factory"));
        return new Plugins(sources, m, filters, secondaries, bufferFactory);
    }

    /** Replaces the buffer factory (tests); without one, buffer-store's {@code Buffers.create} is used. */
    public Plugins withBufferFactory(BufferFactory factory) {
        return new Plugins(sources, outputs, filters, secondaries, Objects.requireNonNull(factory, "factory"));
    }

    /** Registers (or replaces) a filter type. */
    public Plugins withFilter(String type, FilterFactory factory) {
        Map<String, FilterFactory> m = new LinkedHashMap<>(filters);
        m.put(type, Objects.requireNonNull(factory, "factory"));
        return new Plugins(sources, outputs, m, secondaries, bufferFactory);
    }

    /** Registers (or replaces) a {@code <secondary>} type. */
    public Plugins withSecondary(String type, SecondaryFactory factory) {
        Map<String, SecondaryFactory> m = new LinkedHashMap<>(secondaries);
        m.put(type, Objects.requireNonNull(factory, "factory"));
        return new Plugins(sources, outputs, filters, m, bufferFactory);
    }

    public Map<String, FilterFactory> filters() {
        return filters;
    }

    public Map<String, SecondaryFactory> secondaries() {
        return secondaries;
    }

    /** The source types, in the order an unknown type's error lists them. */
    Map<String, SourceFactory> sources() {
        return sources;
    }

    public Map<String, OutputFactory> outputs() {
        return outputs;
    }

    /** The buffer factory, or null for buffer-store's {@code Buffers.create}. */
    public BufferFactory bufferFactory() {
        return bufferFactory;
    }
}
