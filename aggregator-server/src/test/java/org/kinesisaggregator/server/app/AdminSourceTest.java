package org.kinesisaggregator.server.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
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
import java.time.ZoneOffset;
import java.util.Map;
import org.fluentd.logger.FluentLogger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kinesisaggregator.admin.AdminServer;
import org.kinesisaggregator.conf.ConfEnvironment;
import org.kinesisaggregator.conf.ConfException;
import org.kinesisaggregator.conf.ConfParser;
import org.kinesisaggregator.server.ForwardServer;

/** {@code <source> @type monitor_agent}: the admin endpoint wired to the running application. */
class AdminSourceTest {
    @TempDir
    Path dir;

    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private Aggregator assemble(String conf) throws Exception {
        Path file = dir.resolve("admin.conf");
        Files.writeString(file, conf.replace("${dir}", dir.toString()));
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        return Aggregator.assemble(
                new ConfParser(new ConfEnvironment(Map.<String, String>of()::get, () -> "test-host")).parse(file),
                Plugins.defaults(),
                new Aggregator.Environment(
                        registry, Clock.systemUTC(), ZoneOffset.UTC, "test-host", new ByteArrayOutputStream()),
                true);
    }

    private HttpResponse<String> get(int port, String path) throws Exception {
        return http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                        .timeout(Duration.ofSeconds(5))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void servesReadinessPluginsAndMetricsOfTheRunningAppAndSays503WhileDraining() throws Exception {
        Aggregator app = assemble("""
        <system>
          drain_delay 2s
        </system>
        <source>
          @type forward
          @id in_fwd
          bind 127.0.0.1
          port 0
        </source>
        <source>
          @type monitor_agent
          bind 127.0.0.1
          port 0
        </source>
        <match app.**>
          @type file
          @id to_file
          path ${dir}/out/${tag}
          append true
          <buffer tag>
            @type file
            path ${dir}/buffer
            flush_interval 1s
          </buffer>
        </match>
        """);
        app.start();
        Thread closer = new Thread(app::close, "closer");
        try {
            int admin = app.inputs(AdminServer.class).get(0).localAddress().getPort();
            int forward = app.inputs(ForwardServer.class).get(0).localAddress().getPort();

            HttpResponse<String> ready = get(admin, "/health/ready");
            assertThat(ready.statusCode()).isEqualTo(200);
            assertThat(ready.body()).isEqualTo("{\"status\":\"ready\",\"problems\":[]}\n");

            FluentLogger logger = FluentLogger.getLogger("app", "127.0.0.1", forward);
            try {
                assertThat(logger.log("admin", Map.of("k", "v"))).isTrue();
                logger.flush();
            } finally {
                logger.close();
            }
            await().atMost(Duration.ofSeconds(20))
                    .untilAsserted(() -> assertThat(dir.resolve("out/app.admin.log"))
                            .exists()
                            .content()
                            .contains("\"k\":\"v\""));

            String plugins = get(admin, "/api/plugins.json").body();
            assertThat(plugins)
                    .contains("{\"plugin_id\":\"in_fwd\",\"plugin_category\":\"input\",\"type\":\"forward\"")
                    .contains("\"plugin_category\":\"input\",\"type\":\"monitor_agent\"")
                    .contains("{\"plugin_id\":\"to_file\",\"plugin_category\":\"output\",\"type\":\"file\"")
                    .contains("\"buffer_queue_length\":")
                    .contains("\"retry_count\":0");

            String metrics = get(admin, "/metrics").body();
            assertThat(metrics).contains("forward_events_total").contains("buffer_");

            closer.start();
            await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
                HttpResponse<String> draining = get(admin, "/health/ready");
                assertThat(draining.statusCode()).isEqualTo(503);
                assertThat(draining.body()).contains("draining");
            });
        } finally {
            if (closer.getState() == Thread.State.NEW) {
                app.close();
            }
            closer.join(Duration.ofSeconds(30).toMillis());
        }
        assertThat(closer.isAlive()).isFalse();
    }

    @Test
    void prometheusSourceKeepsOnlyTheMetricsPathItServes() {
        assertThatThrownBy(() -> assemble("<source>\n  @type prometheus\n  metrics_path /prom\n</source>\n"))
                .isInstanceOf(ConfException.class)
                .hasMessageContaining("admin.conf:3: metrics_path: \"/prom\" is not supported (expected: /metrics");
    }
}
