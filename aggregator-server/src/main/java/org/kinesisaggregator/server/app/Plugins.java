package org.kinesisaggregator.server.app;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.kinesisaggregator.server.ForwardServer;
import org.kinesisaggregator.server.output.BuiltinOutputs;
import org.kinesisaggregator.server.output.OutputFactory;

/**
 * The plug-in registry: input types, output types, output types still to come, and the buffer
 * factory. Immutable; every {@code with…} returns a new registry.
 *
 * <p>{@link #defaults()}: {@code forward} is the {@link ForwardServer}; the buffer factory and the
 * Kinesis output types ({@code kinesis_producer}, {@code kinesis_streams_aggregated},
 * {@code kinesis_streams}, which also leave "coming") are added by {@code Main.wire}.
 */
public final class Plugins {
  /** What the kpl-bridge branch brings; reported by {@code --dry-run}, refused by a real start. */
  public static final String COMING_WITH_KPL_BRIDGE = "coming with kpl-bridge";

  private final Map<String, InputFactory> inputs;
  private final Map<String, OutputFactory> outputs;
  private final Map<String, String> coming;
  private final BufferFactory bufferFactory;

  private Plugins(Map<String, InputFactory> inputs, Map<String, OutputFactory> outputs, Map<String, String> coming,
      BufferFactory bufferFactory) {
    this.inputs = Collections.unmodifiableMap(new LinkedHashMap<>(inputs));
    this.outputs = Collections.unmodifiableMap(new LinkedHashMap<>(outputs));
    this.coming = Collections.unmodifiableMap(new LinkedHashMap<>(coming));
    this.bufferFactory = bufferFactory;
  }

  /** What this build has. */
  public static Plugins defaults() {
    Map<String, String> coming = new LinkedHashMap<>();
    for (String type : List.of("kinesis_producer", "kinesis_streams_aggregated", "kinesis_streams")) {
      coming.put(type, COMING_WITH_KPL_BRIDGE);
    }
    return new Plugins(Map.of("forward", ForwardServer::new), BuiltinOutputs.factories(), coming, null);
  }

  public Plugins withInput(String type, InputFactory factory) {
    Map<String, InputFactory> m = new LinkedHashMap<>(inputs);
    m.put(type, Objects.requireNonNull(factory, "factory"));
    return new Plugins(m, outputs, coming, bufferFactory);
  }

  /** Registers (or replaces) an output type; it is no longer "coming". */
  public Plugins withOutput(String type, OutputFactory factory) {
    Map<String, OutputFactory> m = new LinkedHashMap<>(outputs);
    m.put(type, Objects.requireNonNull(factory, "factory"));
    Map<String, String> c = new LinkedHashMap<>(coming);
    c.remove(type);
    return new Plugins(inputs, m, c, bufferFactory);
  }

  /** Replaces the buffer factory (tests); without one, buffer-store's {@code Buffers.create} is used. */
  public Plugins withBufferFactory(BufferFactory factory) {
    return new Plugins(inputs, outputs, coming, Objects.requireNonNull(factory, "factory"));
  }

  public Map<String, InputFactory> inputs() {
    return inputs;
  }

  public Map<String, OutputFactory> outputs() {
    return outputs;
  }

  /** Output types known but not in this build, with what brings them. */
  public Map<String, String> coming() {
    return coming;
  }

  /** The buffer factory, or null for buffer-store's {@code Buffers.create}. */
  public BufferFactory bufferFactory() {
    return bufferFactory;
  }
}
