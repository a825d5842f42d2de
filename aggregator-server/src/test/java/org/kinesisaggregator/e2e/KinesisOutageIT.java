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
 * Kinesis down for a while, the whole path in-process: a forwarder with acks (fluency) → the
 * aggregator → file buffer → {@code kinesis_streams_aggregated} → KPL daemon → kinesalite with a
 * data directory (its streams survive its restart). Events sent while Kinesis is down are acked
 * (they are on disk), the buffer holds them and retries, and once Kinesis is back every acked event
 * is in the stream exactly as sent; duplicates are counted and printed; the buffer drains to zero.
 */
class KinesisOutageIT {
  private static final String STREAM = "outage";
  private static final int BEFORE = 1_500;
  private static final int DURING = 2_500;
  private static final Pattern BUFFER_EVENTS = Pattern.compile("\"buffer_total_events\":(\\d+)");
  private static final Pattern RETRY_COUNT = Pattern.compile("\"retry_count\":(\\d+)");

  @TempDir
  Path dir;

  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @Test
  void everyEventAckedWhileKinesisIsDownReachesTheStreamOnceItIsBack() throws Exception {
    long seed = Long.getLong("outage.seed", System.nanoTime());
    System.out.println("KinesisOutageIT seed=" + seed + " (rerun with -Doutage.seed=" + seed + ")");
    Random random = new Random(seed);
    try (LocalKinesis kinesis = LocalKinesis.start(LocalKinesis.options().dataDirectory(dir.resolve("kinesalite")))) {
      kinesis.createStream(STREAM, 2);
      PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
      Path conf = dir.resolve("outage.conf");
      // record_ttl 3 s: KPL gives up on a record after 3 s of failed attempts (Expired), so an outage
      // longer than that comes back to the buffer as failed events, which the buffer retries every
      // 0.5-1 s (retry_wait 0.5s, retry_max_interval 1s, no randomness): both within the test's time.
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
          <match outage.**>
            @type kinesis_streams_aggregated
            @id kinesis
            region us-east-1
            stream_name outage
            endpoint ${endpoint}
            ssl_verify_peer false
            aws_key_id AKIDLOCALKINESIS
            aws_sec_key local-kinesis-secret
            stream_check_interval 1s
            <kinesis_producer>
              metrics_level none
              log_level error
              record_ttl 3000
            </kinesis_producer>
            <buffer>
              @type file
              path ${dir}/buffer
              flush_mode interval
              flush_interval 0.5s
              retry_type exponential_backoff
              retry_wait 0.5s
              retry_max_interval 1s
              retry_randomize false
              retry_forever true
              flush_thread_count 2
            </buffer>
          </match>
          """.replace("${dir}", dir.toString()).replace("${endpoint}", kinesis.endpoint().toString()));
      Aggregator app = Aggregator.assemble(new ConfParser(ConfEnvironment.system()).parse(conf), Plugins.defaults(),
          new Aggregator.Environment(registry, Clock.systemUTC(), ZoneOffset.UTC, "test-host", new ByteArrayOutputStream()),
          true);
      app.start();
      try {
        int forward = app.inputs(ForwardServer.class).get(0).localAddress().getPort();
        int admin = app.inputs(AdminServer.class).get(0).localAddress().getPort();
        AckedSender sender = new AckedSender("127.0.0.1", forward, 0);

        // Kinesis up: the first batch goes through.
        assertThat(sender.run("outage.before", random, 50, BEFORE, () -> true).failedBatches()).isZero();
        await("first batch delivered").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
            .until(() -> number(get(admin, "/api/plugins.json").body(), BUFFER_EVENTS) == 0);

        // Kinesis down: the second batch is acked all the same (it is on disk) and stays in the buffer.
        kinesis.stop();
        assertThat(sender.run("outage.during", random, 50, DURING, () -> true).failedBatches())
            .as("batches refused while Kinesis is down").isZero();
        assertThat(sender.acked()).hasSize(BEFORE + DURING);
        // The outage lasts until KPL has given back (Expired) at least as many records as the buffer
        // holds, and the buffer has retried.
        await("KPL gives the records back (Expired) and the buffer retries").atMost(Duration.ofSeconds(60))
            .pollInterval(Duration.ofMillis(100))
            .until(() -> failed(registry, "Expired") >= DURING
                && number(get(admin, "/api/plugins.json").body(), RETRY_COUNT) > 0);
        String plugins = get(admin, "/api/plugins.json").body();
        assertThat(number(plugins, BUFFER_EVENTS)).as("events held while Kinesis is down").isEqualTo(DURING);
        assertThat(failed(registry, "Expired")).as("user records failed with Expired").isPositive();
        // An outage is what the buffer is for: the node keeps taking events, so it stays ready.
        HttpResponse<String> ready = get(admin, "/health/ready");
        System.out.println("KinesisOutageIT during the outage: /health/ready " + ready.statusCode() + " "
            + ready.body().trim() + "; " + plugins);
        assertThat(ready.statusCode()).isEqualTo(200);

        // Kinesis back (same port, same data): the buffer drains.
        kinesis.restart();
        await("buffer drained after Kinesis came back").atMost(Duration.ofSeconds(60))
            .pollInterval(Duration.ofMillis(100))
            .until(() -> number(get(admin, "/api/plugins.json").body(), BUFFER_EVENTS) == 0);
        assertThat(get(admin, "/health/ready").statusCode()).isEqualTo(200);

        List<TailRecord> read;
        try (StreamTail tail = new StreamTail(kinesis.tailOptions(STREAM))) {
          read = tail.readAll();
        }
        List<Map.Entry<String, String>> records = new ArrayList<>();
        for (TailRecord r : read) {
          records.add(new AbstractMap.SimpleEntry<>(null, new String(r.record().data(), StandardCharsets.UTF_8)));
        }
        Delivered.Report report = Delivered.compare(sender, records);
        System.out.printf("KinesisOutageIT (seed %d): %d before, %d during the outage: %s; %s user records failed"
            + " with Expired and were retried by the buffer%n", seed, BEFORE, DURING, report, (long) failed(registry,
            "Expired"));
        assertThat(report.wrong()).as("records that differ from what was sent").isEmpty();
        assertThat(report.missing()).as("acked events not in the stream").isEmpty();
        assertThat(report.distinct()).isEqualTo(BEFORE + DURING);
      } finally {
        app.close();
      }
    }
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

  private static double failed(PrometheusMeterRegistry registry, String errorCode) {
    return registry.find("kinesis.user.records.failed").tag("error", errorCode).counters().stream()
        .mapToDouble(Counter::count).sum();
  }
}
