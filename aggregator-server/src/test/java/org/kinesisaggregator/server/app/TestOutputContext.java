package org.kinesisaggregator.server.app;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.kinesisaggregator.buffer.EventSink;
import org.kinesisaggregator.buffer.Output;
import org.kinesisaggregator.conf.ConfElement;
import org.kinesisaggregator.conf.ConfEnvironment;
import org.kinesisaggregator.conf.ConfParser;
import org.kinesisaggregator.server.output.OutputDefaults;

/**
 * The few things an output factory asks of its context, for tests that build outputs (or Kinesis
 * output settings) from conf text without the application: captures the {@link Output} handed to
 * {@link #terminal}, what is printed to stdout and every warning; times in UTC, host {@code node-1},
 * root directory {@code dir/root}. Children and labels are not supported.
 *
 * <p>Not thread-safe; one per factory call.
 */
final class TestOutputContext implements OutputContext {
    /** What the output printed to stdout. */
    final ByteArrayOutputStream printed = new ByteArrayOutputStream();
    /** The warnings, as {@code file:line: parameter 'NAME' MESSAGE} (or {@code NAME MESSAGE} without an element). */
    final List<String> warnings = new ArrayList<>();
    /** The output the factory registered as terminal, or null. */
    Output output;

    private final String outputId;
    private final Path dir;
    private final ConfElement element;
    private final MeterRegistry registry = new SimpleMeterRegistry();

    /**
     * @param outputId the output's {@code @id}
     * @param dir the test's directory; the root directory is {@code dir/root}
     * @param element the element being mapped, to name warnings' locations; or null
     */
    TestOutputContext(String outputId, Path dir, ConfElement element) {
        this.outputId = outputId;
        this.dir = dir;
        this.element = element;
    }

    /** {@code <match PATTERN>BODY</match>} written to {@code file}, parsed as the CLI does. */
    static ConfElement match(Path file, String pattern, String body) throws IOException {
        Files.writeString(file, "<match " + pattern + ">\n" + body + "</match>\n");
        return new ConfParser(new ConfEnvironment(Map.<String, String>of()::get, () -> "node-1"))
                .parse(file)
                .elements("match")
                .get(0);
    }

    @Override
    public String outputId() {
        return outputId;
    }

    @Override
    public EventSink terminal(Output o, OutputDefaults defaults) {
        this.output = o;
        return null;
    }

    @Override
    public EventSink child(ConfElement e) {
        throw new UnsupportedOperationException();
    }

    @Override
    public EventSink label(String name, ConfElement referencedFrom) {
        throw new UnsupportedOperationException();
    }

    @Override
    public OutputStream stdout() {
        return printed;
    }

    @Override
    public ZoneId zone() {
        return ZoneOffset.UTC;
    }

    @Override
    public MeterRegistry registry() {
        return registry;
    }

    @Override
    public Clock clock() {
        return Clock.systemUTC();
    }

    @Override
    public String hostname() {
        return "node-1";
    }

    @Override
    public Path rootDir() {
        return dir.resolve("root");
    }

    @Override
    public void warn(String paramName, String message) {
        var p = element != null ? element.params().get(paramName) : null;
        warnings.add(
                p != null ? p.location() + ": parameter '" + paramName + "' " + message : paramName + " " + message);
    }

    @Override
    public void note(String message) {}
}
