package org.kinesisaggregator.server.app;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.kinesisaggregator.conf.ConfElement;

/**
 * The application set-up the conf-driven tests share: a fresh directory per test, conf text written
 * there and parsed as the CLI does ({@link TestConfs}), {@link Aggregator#assemble} with a test
 * environment (meter registry, captured stdout, host {@code test-host}), and every aggregator the
 * test assembled closed after each test (after the test's own {@code @AfterEach} methods), then the
 * directory deleted. Register it with
 * {@code @RegisterExtension final AggregatorFixture app = new AggregatorFixture();}.
 *
 * <p>Not thread-safe; one per test instance.
 */
final class AggregatorFixture implements BeforeEachCallback, AfterEachCallback {
    /** A {@code <system>} keeping the buffers under {@code dir/data}. */
    static final String SYSTEM = "<system>\n  root_dir ${dir}/data\n</system>\n";

    private final List<Aggregator> assembled = new ArrayList<>();
    private TestConfs confs;

    /** This test's directory; {@code ${dir}} in conf text stands for it. */
    Path dir;

    @Override
    public void beforeEach(ExtensionContext context) throws IOException {
        dir = Files.createTempDirectory("aggregator-test");
        confs = new TestConfs(dir);
    }

    @Override
    public void afterEach(ExtensionContext context) throws IOException {
        assembled.forEach(Aggregator::close);
        assembled.clear();
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(AggregatorFixture::delete);
        }
    }

    /** The meter registry of every aggregator this fixture assembles. */
    SimpleMeterRegistry registry() {
        return confs.registry;
    }

    /** What the aggregators printed to stdout, so far. */
    ByteArrayOutputStream stdout() {
        return confs.stdout;
    }

    /** {@code text} written to {@code dir/test.conf} and parsed. */
    ConfElement parse(String text) throws IOException {
        return confs.parse(text);
    }

    /** {@code text} assembled with the default plugins, not started; closed after the test. */
    Aggregator assemble(String text) throws IOException {
        return assemble(text, Plugins.defaults(), false);
    }

    /** {@code text} assembled with {@code plugins}, not started; closed after the test. */
    Aggregator assemble(String text, Plugins plugins, boolean strict) throws IOException {
        Aggregator aggregator = confs.assemble(text, plugins, strict);
        assembled.add(aggregator);
        return aggregator;
    }

    /** {@code text} assembled with the default plugins and started; closed after the test. */
    Aggregator start(String text) throws Exception {
        return start(text, Plugins.defaults(), false);
    }

    /** {@code text} assembled with {@code plugins} and started; closed after the test. */
    Aggregator start(String text, Plugins plugins, boolean strict) throws Exception {
        Aggregator aggregator = assemble(text, plugins, strict);
        aggregator.start();
        return aggregator;
    }

    /**
     * A {@code <match PATTERN>} file output {@code @id NAME} writing JSON lines to
     * {@code dir/out/NAME.log}, flushing each append at once.
     */
    static String fileOutput(String pattern, String name) {
        return "<match " + pattern + ">\n" + fileOutputBody(name) + "</match>\n";
    }

    /** The parameters of {@link #fileOutput}, for a {@code <store>} of {@code copy}. */
    static String fileOutputBody(String name) {
        return """
          @type file
          @id %s
          path ${dir}/out/%s
          append true
          <format>
            @type json
          </format>
          <buffer>
            flush_mode immediate
          </buffer>
        """.formatted(name, name);
    }

    /** The lines of {@code dir/out/NAME.log} (a {@link #fileOutput}), none while it does not exist. */
    List<String> outputLines(String name) throws IOException {
        return lines("out/" + name + ".log");
    }

    /** The lines of the file at {@code path} below {@code dir}, none while it does not exist. */
    List<String> lines(String path) throws IOException {
        Path file = dir.resolve(path);
        return Files.exists(file) ? Files.readAllLines(file, StandardCharsets.UTF_8) : List.of();
    }

    /** The conf file's path, as error messages name it. */
    String conf() {
        return confs.conf();
    }

    private static void delete(Path path) {
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
