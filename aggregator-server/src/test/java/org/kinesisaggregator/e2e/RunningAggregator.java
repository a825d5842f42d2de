package org.kinesisaggregator.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.kinesisaggregator.admin.AdminServer;
import org.kinesisaggregator.conf.ConfEnvironment;
import org.kinesisaggregator.conf.ConfParser;
import org.kinesisaggregator.kinesis.tail.StreamTail;
import org.kinesisaggregator.kinesis.tail.TailRecord;
import org.kinesisaggregator.kinesis.testing.LocalKinesis;
import org.kinesisaggregator.server.ForwardServer;
import org.kinesisaggregator.server.app.Aggregator;
import org.kinesisaggregator.server.app.Plugins;

/**
 * The aggregator in-process on a conf file (strict: a mistyped parameter fails the test), with its
 * admin endpoint read over HTTP as an NLB and a monitoring agent would. The conf must have one
 * {@code forward} and one {@code monitor_agent} source, both on port 0.
 */
final class RunningAggregator implements AutoCloseable {
    private static final Pattern BUFFER_EVENTS = Pattern.compile("\"buffer_total_events\":(\\d+)");
    private static final Pattern RETRY_COUNT = Pattern.compile("\"retry_count\":(\\d+)");

    private final Aggregator app;
    private final PrometheusMeterRegistry registry;
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private RunningAggregator(Aggregator app, PrometheusMeterRegistry registry) {
        this.app = app;
        this.registry = registry;
    }

    /** Writes {@code confText} to {@code conf}, assembles and starts it. */
    static RunningAggregator start(Path conf, String confText) throws Exception {
        Files.writeString(conf, confText);
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        Aggregator app = Aggregator.assemble(
                new ConfParser(ConfEnvironment.system()).parse(conf),
                Plugins.defaults(),
                new Aggregator.Environment(
                        registry, Clock.systemUTC(), ZoneOffset.UTC, "test-host", new ByteArrayOutputStream()),
                true);
        app.start();
        return new RunningAggregator(app, registry);
    }

    /**
     * A {@code <match>} of type {@code kinesis_streams_aggregated} with {@code @id kinesis} pointed at
     * {@code kinesis}, with a file buffer under {@code dir}, plus the two sources and
     * {@code root_dir} (the KPL's temporary files) under {@code dir}.
     *
     * @param outputParams more parameters of the {@code <match>}
     * @param kplParams more {@code <kinesis_producer>} parameters
     * @param bufferParams more {@code <buffer>} parameters
     */
    static String kinesisConf(
            Path dir,
            LocalKinesis kinesis,
            String pattern,
            String stream,
            String outputParams,
            String kplParams,
            String bufferParams) {
        return kinesisConf(dir, 0, kinesis, pattern, stream, outputParams, kplParams, bufferParams);
    }

    /** {@link #kinesisConf(Path, LocalKinesis, String, String, String, String, String)} with the forward source on {@code forwardPort}. */
    static String kinesisConf(
            Path dir,
            int forwardPort,
            LocalKinesis kinesis,
            String pattern,
            String stream,
            String outputParams,
            String kplParams,
            String bufferParams) {
        return """
        <system>
          root_dir %1$s/root
        </system>
        <source>
          @type forward
          bind 127.0.0.1
          port %8$d
        </source>
        <source>
          @type monitor_agent
          bind 127.0.0.1
          port 0
        </source>
        <match %2$s>
          @type kinesis_streams_aggregated
          @id kinesis
          region us-east-1
          stream_name %3$s
          endpoint %4$s
          ssl_verify_peer false
          aws_key_id AKIDLOCALKINESIS
          aws_sec_key local-kinesis-secret
        %5$s
          <kinesis_producer>
            metrics_level none
            log_level error
        %6$s
          </kinesis_producer>
          <buffer>
            @type file
            path %1$s/buffer
            flush_mode interval
            flush_interval 0.5s
        %7$s
          </buffer>
        </match>
        """.formatted(
                        dir,
                        pattern,
                        stream,
                        kinesis.endpoint(),
                        indent(outputParams, 2),
                        indent(kplParams, 4),
                        indent(bufferParams, 4),
                        forwardPort);
    }

    private static String indent(String lines, int spaces) {
        return lines.isBlank() ? "" : lines.strip().indent(spaces).stripTrailing();
    }

    int forwardPort() {
        return app.inputs(ForwardServer.class).get(0).localAddress().getPort();
    }

    /** GET on the admin endpoint. */
    HttpResponse<String> get(String path) throws Exception {
        int port = app.inputs(AdminServer.class).get(0).localAddress().getPort();
        return http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                        .timeout(Duration.ofSeconds(5))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** {@code buffer_total_events} of the (only) buffered output on {@code /api/plugins.json}. */
    long bufferedEvents() throws Exception {
        return number(get("/api/plugins.json").body(), BUFFER_EVENTS);
    }

    /** {@code retry_count} of the (only) buffered output on {@code /api/plugins.json}. */
    long retryCount() throws Exception {
        return number(get("/api/plugins.json").body(), RETRY_COUNT);
    }

    /** Events the Kinesis outputs counted as failed with {@code errorCode} (kinesis.user.records.failed). */
    double failedEvents(String errorCode) {
        return registry.find("kinesis.user.records.failed").tag("error", errorCode).counters().stream()
                .mapToDouble(Counter::count)
                .sum();
    }

    /** A counter's total over all its tags, 0 when absent. */
    double count(String name) {
        return registry.find(name).counters().stream()
                .mapToDouble(Counter::count)
                .sum();
    }

    /** A gauge's value summed over all its tags, 0 when absent. */
    double gauge(String name) {
        return registry.find(name).gauges().stream().mapToDouble(Gauge::value).sum();
    }

    private static long number(String json, Pattern field) {
        Matcher m = field.matcher(json);
        assertThat(m.find()).as("%s in %s", field, json).isTrue();
        return Long.parseLong(m.group(1));
    }

    /** Every user record in {@code stream}, as (no tag, data as text), for {@link Delivered#compare}. */
    static List<Map.Entry<String, String>> readStream(LocalKinesis kinesis, String stream) {
        List<Map.Entry<String, String>> records = new ArrayList<>();
        try (StreamTail tail = new StreamTail(kinesis.tailOptions(stream))) {
            for (TailRecord r : tail.readAll()) {
                records.add(new AbstractMap.SimpleEntry<>(
                        null, new String(r.record().data(), StandardCharsets.UTF_8)));
            }
        }
        return records;
    }

    @Override
    public void close() {
        app.close();
    }
}
