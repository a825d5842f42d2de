package org.kinesisaggregator.server.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.fluentd.logger.FluentLogger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kinesisaggregator.admin.AdminServer;
import org.kinesisaggregator.kinesis.testing.LocalKinesis;
import org.kinesisaggregator.server.ForwardServer;
import org.kinesisaggregator.server.app.Supervisor.ReloadOutcome;

/**
 * The {@code kinesis_*} names of the shipped alert rules and dashboard against a live node whose
 * Kinesis output (real KPL daemon, local emulator) has sent, and a conf reload that keeps that
 * output: its meters and the KPL pool's are on the new conf's {@code /metrics}, and count on there.
 */
class MonitoringKinesisIT {
    private static final String STREAM = "monitored";

    @TempDir
    Path dir;

    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private String conf(String endpoint, String extra) {
        return """
                <system>
                  drain_delay 0s
                  shutdown_timeout 10s
                </system>
                <source>
                  @type forward
                  bind 127.0.0.1
                  port PORT
                </source>
                <source>
                  @type prometheus
                  bind 127.0.0.1
                  port 0
                </source>
                <match kinesis.**>
                  @type kinesis_streams_aggregated
                  @id to_kinesis
                  stream_name monitored
                  region us-east-1
                  endpoint ENDPOINT
                  ssl_verify_peer false
                  aws_key_id AKIDLOCALKINESIS
                  aws_sec_key local-kinesis-secret
                  <kinesis_producer>
                    metrics_level none
                    log_level error
                  </kinesis_producer>
                  <buffer>
                    @type file
                    path DIR/buffer
                    flush_interval 1s
                  </buffer>
                </match>
                EXTRA
                """.replace("ENDPOINT", endpoint).replace("DIR", dir.toString()).replace("EXTRA", extra);
    }

    private String scrape(Supervisor supervisor) throws Exception {
        int port = supervisor
                .current()
                .inputs(AdminServer.class)
                .get(0)
                .localAddress()
                .getPort();
        HttpResponse<String> r = http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                        .timeout(Duration.ofSeconds(5))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        return r.body();
    }

    /** The value of the first series of {@code name} whose labels contain {@code label}, or -1. */
    private static double value(String scrape, String name, String label) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + "\\{([^}]*)} (\\S+)$")
                .matcher(scrape);
        while (m.find()) {
            if (m.group(1).contains(label)) {
                return Double.parseDouble(m.group(2));
            }
        }
        return -1;
    }

    private static void send(int port, int from, int count) {
        FluentLogger logger = FluentLogger.getLogger("kinesis", "127.0.0.1", port);
        try {
            for (int i = from; i < from + count; i++) {
                assertThat(logger.log("app", Map.of("i", i))).isTrue();
            }
            logger.flush();
        } finally {
            logger.close();
        }
    }

    @Test
    void kinesisNamesOfTheRulesAndDashboardAreExportedAndFollowTheOutputAcrossAReload() throws Exception {
        try (LocalKinesis kinesis = LocalKinesis.start()) {
            kinesis.createStream(STREAM, 1);
            String endpoint = kinesis.endpoint().toString();
            Path file = dir.resolve("agg.conf");
            Files.writeString(file, conf(endpoint, "").replace("PORT", "0"));
            // one Plugins, as the process has: its Kinesis factory owns the KPL pool across reloads
            Plugins plugins = Plugins.defaults();
            Supervisor supervisor =
                    new Supervisor(LoadedConf.load(file, plugins, env(), false), plugins, this::env, false, a -> {});
            supervisor.start();
            try {
                int forward = supervisor
                        .current()
                        .inputs(ForwardServer.class)
                        .get(0)
                        .localAddress()
                        .getPort();
                send(forward, 0, 20);
                String label = "output=\"to_kinesis\"";
                await().atMost(Duration.ofSeconds(60))
                        .pollInterval(Duration.ofMillis(500))
                        .until(() -> value(scrape(supervisor), "kinesis_user_records_put_total", label) >= 20);
                String first = scrape(supervisor);
                Set<String> exported = MonitoringFilesTest.exportedNames(first);
                List<String> expressions = new ArrayList<>(MonitoringFilesTest.ruleExpressions());
                expressions.addAll(MonitoringFilesTest.dashboardExpressions());
                Set<String> referenced = new TreeSet<>();
                for (String expr : expressions) {
                    for (String name : MonitoringFilesTest.metricNames(expr)) {
                        if (name.startsWith(MonitoringFilesTest.KINESIS_PREFIX)) {
                            referenced.add(name);
                        }
                    }
                }
                assertThat(referenced)
                        .as("Kinesis names in the rules and dashboard")
                        .contains(
                                "kinesis_user_records_put_total",
                                "kinesis_put_latency_seconds_bucket",
                                "kinesis_kpl_daemon_failures_total");
                // failed/rejected counters are registered at the first failure: fail none here, check names
                Set<String> failureNames =
                        Set.of("kinesis_user_records_failed_total", "kinesis_user_records_rejected_total");
                Set<String> mustExport = new TreeSet<>(referenced);
                mustExport.removeAll(failureNames);
                assertThat(exported).as("names the live node exports").containsAll(mustExport);
                assertThat(exported)
                        .as("no doubled unit in an exported name")
                        .noneMatch(n -> n.matches(".*_(bytes|seconds)_(.*_)?\\1(_.*)?"));
                assertThat(value(first, "kinesis_put_bytes_total", label)).isPositive();
                assertThat(value(first, "kinesis_kpl_outstanding_records", "producer="))
                        .isGreaterThanOrEqualTo(0);

                // a reload that keeps the Kinesis output (another output comes)
                Files.writeString(
                        file,
                        conf(endpoint, "<match other.**>\n  @type null\n</match>\n")
                                .replace("PORT", Integer.toString(forward)));
                assertThat(supervisor.reload("SIGHUP")).isEqualTo(ReloadOutcome.RELOADED);
                String afterReload = scrape(supervisor);
                assertThat(value(afterReload, "kinesis_kpl_outstanding_records", "producer="))
                        .as("the KPL pool's gauge is on the new conf's /metrics")
                        .isGreaterThanOrEqualTo(0);
                assertThat(value(afterReload, "buffer_bytes", label))
                        .as("the kept buffer's gauge")
                        .isGreaterThanOrEqualTo(0);
                assertThat(value(afterReload, "kinesis_user_records_put_total", label))
                        .as("the kept output's counter, from zero in the new registry")
                        .isEqualTo(0);
                send(forward, 20, 10);
                await().atMost(Duration.ofSeconds(60))
                        .pollInterval(Duration.ofMillis(500))
                        .until(() -> value(scrape(supervisor), "kinesis_user_records_put_total", label) >= 10);
            } finally {
                supervisor.close();
            }
        }
    }

    private Aggregator.Environment env() {
        return LoadedConf.environment(
                new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), Clock.systemUTC(), new ByteArrayOutputStream());
    }
}
