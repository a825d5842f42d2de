package org.kinesisaggregator.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.Counter;
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
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
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
 * A conf pointing at a stream that does not exist: {@code /health/ready} answers 503 naming the
 * output and the stream (so the NLB stops sending this node traffic and an operator hears of it),
 * events that come anyway are acked and wait on disk, and creating the stream clears the problem —
 * also when no event flows, which is what an unready node behind an NLB gets.
 */
class MissingStreamReadinessIT {
  private static final Pattern BUFFER_EVENTS = Pattern.compile("\"buffer_total_events\":(\\d+)");
  private static final int EVENTS = 500;

  @TempDir
  Path dir;

  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

  @Test
  void aMissingStreamMakesTheNodeUnreadyItsEventsWaitOnDiskAndArriveOnceItIsCreated() throws Exception {
    long seed = Long.getLong("readiness.seed", System.nanoTime());
    System.out.println("MissingStreamReadinessIT seed=" + seed + " (rerun with -Dreadiness.seed=" + seed + ")");
    try (LocalKinesis kinesis = LocalKinesis.start()) {
      Aggregator app = start(kinesis, "late-logs");
      try {
        int admin = app.inputs(AdminServer.class).get(0).localAddress().getPort();
        HttpResponse<String> ready = get(admin, "/health/ready");
        System.out.println("MissingStreamReadinessIT before the stream exists: " + ready.statusCode() + " "
            + ready.body().trim());
        assertThat(ready.statusCode()).isEqualTo(503);
        assertThat(ready.body()).contains("output kinesis: stream late-logs not found in region us-east-1");

        AckedSender sender = new AckedSender("127.0.0.1", app.inputs(ForwardServer.class).get(0).localAddress().getPort(), 0);
        assertThat(sender.run("late.app", new Random(seed), 50, EVENTS, () -> true).failedBatches())
            .as("batches refused while the stream is missing").isZero();
        await("events failed at once (stream known missing)").atMost(Duration.ofSeconds(30))
            .until(() -> failed("StreamNotFound") >= EVENTS);
        assertThat(number(get(admin, "/api/plugins.json").body(), BUFFER_EVENTS)).isEqualTo(EVENTS);
        assertThat(get(admin, "/health/ready").statusCode()).isEqualTo(503);

        kinesis.createStream("late-logs", 1);
        await("ready once the stream exists").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
            .until(() -> get(admin, "/health/ready").statusCode() == 200);
        assertThat(get(admin, "/health/ready").body()).isEqualTo("{\"status\":\"ready\",\"problems\":[]}\n");
        await("buffer drained").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
            .until(() -> number(get(admin, "/api/plugins.json").body(), BUFFER_EVENTS) == 0);

        List<Map.Entry<String, String>> records = new ArrayList<>();
        try (StreamTail tail = new StreamTail(kinesis.tailOptions("late-logs"))) {
          for (TailRecord r : tail.readAll()) {
            records.add(new AbstractMap.SimpleEntry<>(null, new String(r.record().data(), StandardCharsets.UTF_8)));
          }
        }
        Delivered.Report report = Delivered.compare(sender, records);
        System.out.println("MissingStreamReadinessIT: " + report + "; " + (long) failed("StreamNotFound")
            + " events failed with StreamNotFound and were retried by the buffer");
        assertThat(report.wrong()).isEmpty();
        assertThat(report.missing()).isEmpty();
        assertThat(report.distinct()).isEqualTo(EVENTS);
      } finally {
        app.close();
      }
    }
  }

  @Test
  void readinessComesBackWithoutAnyTrafficOnceTheStreamExists() throws Exception {
    try (LocalKinesis kinesis = LocalKinesis.start()) {
      Aggregator app = start(kinesis, "quiet-logs");
      try {
        int admin = app.inputs(AdminServer.class).get(0).localAddress().getPort();
        HttpResponse<String> ready = get(admin, "/health/ready");
        assertThat(ready.statusCode()).isEqualTo(503);
        assertThat(ready.body()).contains("output kinesis: stream quiet-logs not found in region us-east-1");
        // An unready node behind an NLB gets no events, so nothing but the health checks can notice.
        kinesis.createStream("quiet-logs", 1);
        await("ready once the stream exists, without traffic").atMost(Duration.ofSeconds(30))
            .pollInterval(Duration.ofMillis(200))
            .until(() -> get(admin, "/health/ready").statusCode() == 200);
        assertThat(get(admin, "/health/ready").body()).isEqualTo("{\"status\":\"ready\",\"problems\":[]}\n");
      } finally {
        app.close();
      }
    }
  }

  private Aggregator start(LocalKinesis kinesis, String stream) throws Exception {
    Path conf = dir.resolve("readiness.conf");
    Files.writeString(conf, """
        <system>
          root_dir ${dir}/root
        </system>
        <source>
          @type forward
          bind 127.0.0.1
          port 0
        </source>
        <source>
          @type monitor_agent
          bind 127.0.0.1
          port 0
        </source>
        <match late.**>
          @type kinesis_streams_aggregated
          @id kinesis
          region us-east-1
          stream_name ${stream}
          endpoint ${endpoint}
          ssl_verify_peer false
          aws_key_id AKIDLOCALKINESIS
          aws_sec_key local-kinesis-secret
          stream_check_interval 1s
          <kinesis_producer>
            metrics_level none
            log_level error
          </kinesis_producer>
          <buffer>
            @type file
            path ${dir}/buffer
            flush_mode interval
            flush_interval 0.5s
            retry_wait 0.5s
            retry_max_interval 2s
            retry_forever true
          </buffer>
        </match>
        """.replace("${dir}", dir.toString()).replace("${stream}", stream)
        .replace("${endpoint}", kinesis.endpoint().toString()));
    Aggregator app = Aggregator.assemble(new ConfParser(ConfEnvironment.system()).parse(conf), Plugins.defaults(),
        new Aggregator.Environment(registry, Clock.systemUTC(), ZoneOffset.UTC, "test-host", new ByteArrayOutputStream()),
        true);
    app.start();
    return app;
  }

  private HttpResponse<String> get(int port, String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private static long number(String json, Pattern field) {
    Matcher m = field.matcher(json);
    assertThat(m.find()).as("%s in %s", field, json).isTrue();
    return Long.parseLong(m.group(1));
  }

  private double failed(String errorCode) {
    return registry.find("kinesis.user.records.failed").tag("error", errorCode).counters().stream()
        .mapToDouble(Counter::count).sum();
  }
}
