package org.kinesisaggregator.server.app;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.kinesisaggregator.server.ForwardServer;
import org.kinesisaggregator.server.output.BuiltinOutputs;
import org.kinesisaggregator.server.output.KinesisOutputFactory;
import org.kinesisaggregator.server.output.OutputFactory;

/**
 * The plug-in registry: input types, output types and the buffer factory. Immutable; every
 * {@code with…} returns a new registry.
 *
 * <p>{@link #defaults()}: {@code forward} is the {@link ForwardServer}; the outputs are the built-in
 * ones and the Kinesis types ({@code kinesis_producer}, {@code kinesis_streams_aggregated},
 * {@code kinesis_streams}), which share one {@link KinesisOutputFactory} and so one pool of KPL
 * daemons; buffers come from buffer-store unless a test sets a factory.
 */
public final class Plugins {
    private final Map<String, InputFactory> inputs;
    private final Map<String, OutputFactory> outputs;
    private final BufferFactory bufferFactory;

    private Plugins(Map<String, InputFactory> inputs, Map<String, OutputFactory> outputs, BufferFactory bufferFactory) {
        this.inputs = Collections.unmodifiableMap(new LinkedHashMap<>(inputs));
        this.outputs = Collections.unmodifiableMap(new LinkedHashMap<>(outputs));
        this.bufferFactory = bufferFactory;
    }

    /** What this build has. */
    public static Plugins defaults() {
        Map<String, OutputFactory> outputs = new LinkedHashMap<>(BuiltinOutputs.factories());
        KinesisOutputFactory kinesis = new KinesisOutputFactory();
        for (String type : KinesisOutputFactory.TYPES) {
            outputs.put(type, kinesis);
        }
        return new Plugins(Map.of("forward", ForwardServer::new), outputs, null);
    }

    public Plugins withInput(String type, InputFactory factory) {
        Map<String, InputFactory> m = new LinkedHashMap<>(inputs);
        m.put(type, Objects.requireNonNull(factory, "factory"));
        return new Plugins(m, outputs, bufferFactory);
    }

    /** Registers (or replaces) an output type. */
    public Plugins withOutput(String type, OutputFactory factory) {
        Map<String, OutputFactory> m = new LinkedHashMap<>(outputs);
        m.put(type, Objects.requireNonNull(factory, "factory"));
        return new Plugins(inputs, m, bufferFactory);
    }

    /** Replaces the buffer factory (tests); without one, buffer-store's {@code Buffers.create} is used. */
    public Plugins withBufferFactory(BufferFactory factory) {
        return new Plugins(inputs, outputs, Objects.requireNonNull(factory, "factory"));
    }

    public Map<String, InputFactory> inputs() {
        return inputs;
    }

    public Map<String, OutputFactory> outputs() {
        return outputs;
    }

    /** The buffer factory, or null for buffer-store's {@code Buffers.create}. */
    public BufferFactory bufferFactory() {
        return bufferFactory;
    }
}
