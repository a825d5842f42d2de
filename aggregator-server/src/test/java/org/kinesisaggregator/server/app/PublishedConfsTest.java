package org.kinesisaggregator.server.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.ZoneOffset;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kinesisaggregator.conf.ConfElement;
import org.kinesisaggregator.conf.ConfEnvironment;
import org.kinesisaggregator.conf.ConfParser;

/**
 * Issue 13: "a conf shaped like each of the nine (with outputs we don't ship swapped for file)
 * starts unchanged". Each conf in {@code src/test/resources/published-confs/} (a comment in each
 * names its source) is parsed, assembled and environment-checked as {@code --dry-run} does, without
 * edits; only {@code /fluentd/log}-like absolute directories become {@code ${dir}} and fixed ports
 * become port 0 on loopback.
 */
class PublishedConfsTest {
    @TempDir
    Path dir;

    private Aggregator dryRun(String name) throws IOException {
        String text;
        try (InputStream in = PublishedConfsTest.class.getResourceAsStream("/published-confs/" + name)) {
            assertThat(in).as(name).isNotNull();
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        Path file = dir.resolve(name);
        Files.writeString(file, text.replace("${dir}", dir.toString()));
        ConfParser parser = new ConfParser(
                new ConfEnvironment(Map.of("FLUENT_SHARED_KEY", "shared-secret")::get, () -> "aggregator-1"));
        ConfElement root = parser.parse(file);
        assertThat(parser.warnings()).as("parse warnings of %s", name).isEmpty();
        Aggregator app = Aggregator.assemble(
                root,
                Plugins.defaults(),
                new Aggregator.Environment(
                        new SimpleMeterRegistry(),
                        Clock.systemUTC(),
                        ZoneOffset.UTC,
                        "aggregator-1",
                        new ByteArrayOutputStream()),
                false);
        app.checkEnvironment();
        return app;
    }

    @Test
    void fluentdExampleInForward() throws Exception {
        Aggregator app = dryRun("fluentd-example-in_forward.conf");
        assertThat(app.summary()).contains("rpc_endpoint 127.0.0.1:0").contains("forward 127.0.0.1:0");
    }

    @Test
    void fluentdExampleInHttp() throws Exception {
        assertThat(dryRun("fluentd-example-in_http.conf").summary()).contains("http 127.0.0.1:0");
    }

    @Test
    void fluentdExampleOutForward() throws Exception {
        assertThat(dryRun("fluentd-example-out_forward.conf").summary())
                .contains("sample test")
                .contains("forward");
    }

    @Test
    void fluentdExampleLogEventsWithSampleAndFluentLog() throws Exception {
        Aggregator app = dryRun("fluentd-example-logevents.conf");
        assertThat(app.router(FluentLogEvents.LABEL).describeRoute("fluent.warn"))
                .contains("fluent.warn");
        // Fluentd's warning for the one tag the label leaves out
        assertThat(app.warnings()).anyMatch(w -> w.contains("[fluent.trace]"));
    }

    @Test
    void fluentdDockerImageDefaultConf() throws Exception {
        Aggregator app = dryRun("fluentd-docker-image.conf");
        // no buffer path and no root_dir: out_file's fallback, the output's path up to its '*'
        assertThat(app.summary())
                .contains(dir.resolve("fluentd/log/output_docker1").toString())
                .contains(dir.resolve("fluentd/log/output1").toString());
        assertThat(app.router("@mainstream").describeRoute("docker.web")).contains("docker.**");
    }

    @Test
    void kinesisPluginReadmeExamples() throws Exception {
        Aggregator app = dryRun("kinesis-readme-aggregated.conf");
        assertThat(app.summary())
                .contains("kinesis_streams_aggregated")
                .contains("YOUR_STREAM")
                .contains("${tag}-stream");
    }

    @Test
    void kinesisPluginReadmeRecordKeyPlaceholder() throws Exception {
        Aggregator app = dryRun("kinesis-readme-record-key.conf");
        assertThat(app.summary()).contains("${$.kubernetes.annotations.kinesis_stream}");
    }

    @Test
    void fluentOperatorRenderedConf() throws Exception {
        Aggregator app = dryRun("fluent-operator-rendered.conf");
        assertThat(app.router("@a2170d34e9940ec56d328100e375c43e").describeRoute("kube.x"))
                .contains("record_transformer");
        assertThat(app.summary()).contains("to label @a2170d34e9940ec56d328100e375c43e");
    }

    @Test
    void tdAgentAggregatorWithV012Names() throws Exception {
        Aggregator app = dryRun("td-agent-aggregator-v012.conf");
        assertThat(app.summary())
                .contains("security")
                .contains(dir.resolve("td-agent/buffer/kinesis").toString())
                .contains("secondary file");
    }

    @Test
    void tdAgentAggregatorWithV1Names() throws Exception {
        Aggregator app = dryRun("td-agent-aggregator-v1.conf");
        assertThat(app.summary()).contains("kinesis_streams_aggregated").contains("secondary secondary_file");
        assertThat(app.warnings()).anyMatch(w -> w.contains("workers 2"));
    }
}
