package org.kinesisaggregator.admin;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Counter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.kinesisaggregator.buffer.BufferCounters;
import org.kinesisaggregator.buffer.BufferStats;

class AdminServerTest {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final List<String> problems = new CopyOnWriteArrayList<>();
    private final HttpClient client =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private AdminServer server;

    @BeforeEach
    void start() throws Exception {
        List<PluginInfo> plugins = List.of(
                new PluginInfo("in_forward", "input", "forward", Map.of("port", "24224"), null),
                new PluginInfo(
                        "to_kinesis",
                        "output",
                        "kinesis_streams_aggregated",
                        Map.of("stream_name", "logs"),
                        () -> new BufferStats(
                                1,
                                3,
                                4096,
                                17,
                                2,
                                1500,
                                1024,
                                3072,
                                16384,
                                1_700_000_000_000L,
                                1_700_000_004_000L,
                                new BufferCounters(5, 40, 8000, 6, 1, 2, 2, 1, 1234, 0))));
        server = new AdminServer(
                new AdminSettings("127.0.0.1", 0),
                registry::scrape,
                () -> List.copyOf(problems),
                () -> plugins,
                () -> Map.of("config_path", "/etc/agg.conf"),
                ZoneOffset.ofHours(9));
        server.start();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private HttpResponse<String> get(String path) throws Exception {
        URI uri = URI.create("http://127.0.0.1:" + server.localAddress().getPort() + path);
        return client.send(
                HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void liveAnswersOk() throws Exception {
        HttpResponse<String> response = get("/health/live");
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo("ok\n");
    }

    @Test
    void readyIs503WithTheProblemsAndBecomes200WhenTheyClear() throws Exception {
        problems.add("draining");
        problems.add("stream logs not found in region us-east-1");
        HttpResponse<String> notReady = get("/health/ready");
        assertThat(notReady.statusCode()).isEqualTo(503);
        assertThat(notReady.body())
                .isEqualTo(
                        "{\"status\":\"not ready\",\"problems\":[\"draining\",\"stream logs not found in region us-east-1\"]}\n");

        problems.clear();
        HttpResponse<String> ready = get("/health/ready");
        assertThat(ready.statusCode()).isEqualTo(200);
        assertThat(ready.body()).isEqualTo("{\"status\":\"ready\",\"problems\":[]}\n");
    }

    @Test
    void metricsExposeMetersInPrometheusText() throws Exception {
        Counter.builder("forward.events")
                .tag("mode", "packed_forward")
                .register(registry)
                .increment(42);
        HttpResponse<String> response = get("/metrics");
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("content-type"))
                .hasValueSatisfying(v -> assertThat(v).startsWith("text/plain"));
        assertThat(response.body()).contains("forward_events_total{mode=\"packed_forward\"} 42.0");
    }

    @Test
    void pluginsJsonHasMonitorAgentFieldsAndFilters() throws Exception {
        HttpResponse<String> all = get("/api/plugins.json");
        assertThat(all.statusCode()).isEqualTo(200);
        assertThat(all.body())
                .isEqualTo("{\"plugins\":["
                        + "{\"plugin_id\":\"in_forward\",\"plugin_category\":\"input\",\"type\":\"forward\","
                        + "\"config\":{\"port\":\"24224\"},\"output_plugin\":false,\"retry_count\":null},"
                        + "{\"plugin_id\":\"to_kinesis\",\"plugin_category\":\"output\",\"type\":\"kinesis_streams_aggregated\","
                        + "\"config\":{\"stream_name\":\"logs\"},\"output_plugin\":true,\"buffer_queue_length\":3,"
                        + "\"buffer_timekeys\":[],\"buffer_total_queued_size\":4096,\"retry_count\":2,"
                        + "\"emit_records\":40,\"emit_size\":8000,\"emit_count\":5,\"write_count\":6,"
                        + "\"write_secondary_count\":1,\"rollback_count\":2,\"slow_flush_count\":1,"
                        + "\"flush_time_count\":1234,\"drop_oldest_chunk_count\":0,\"buffer_stage_length\":1,"
                        + "\"buffer_stage_byte_size\":1024,\"buffer_queue_byte_size\":3072,"
                        + "\"buffer_available_buffer_space_ratios\":75.0,\"buffer_total_events\":17,"
                        + "\"buffer_oldest_chunk_age_seconds\":1.5,\"retry\":{\"start\":\"2023-11-15 07:13:20 +0900\","
                        + "\"steps\":2,\"next_time\":\"2023-11-15 07:13:24 +0900\"}}]}");

        HttpResponse<String> filtered = get("/api/plugins.json?type=forward");
        assertThat(filtered.body()).contains("\"plugin_id\":\"in_forward\"").doesNotContain("to_kinesis");
        HttpResponse<String> byId = get("/api/plugins.json?@id=to_kinesis");
        assertThat(byId.body()).contains("\"plugin_id\":\"to_kinesis\"").doesNotContain("in_forward");
    }

    @Test
    void pluginsLtsvIsOneLineAPluginWithoutHashesOrArrays() throws Exception {
        HttpResponse<String> ltsv = get("/api/plugins?@type=kinesis_streams_aggregated");
        assertThat(ltsv.statusCode()).isEqualTo(200);
        assertThat(ltsv.body())
                .isEqualTo("plugin_id:to_kinesis\tplugin_category:output\ttype:kinesis_streams_aggregated"
                        + "\toutput_plugin:true\tbuffer_queue_length:3\tbuffer_total_queued_size:4096\tretry_count:2"
                        + "\temit_records:40\temit_size:8000\temit_count:5\twrite_count:6\twrite_secondary_count:1"
                        + "\trollback_count:2\tslow_flush_count:1\tflush_time_count:1234\tdrop_oldest_chunk_count:0"
                        + "\tbuffer_stage_length:1\tbuffer_stage_byte_size:1024\tbuffer_queue_byte_size:3072"
                        + "\tbuffer_available_buffer_space_ratios:75.0\tbuffer_total_events:17"
                        + "\tbuffer_oldest_chunk_age_seconds:1.5\n");
        assertThat(get("/api/plugins").body())
                .startsWith("plugin_id:in_forward\t")
                .contains("\tretry_count:\n");
    }

    @Test
    void configJsonHasPidPpidAndTheSuppliedFields() throws Exception {
        long pid = ProcessHandle.current().pid();
        long ppid = ProcessHandle.current().parent().orElseThrow().pid();
        assertThat(get("/api/config.json").body())
                .isEqualTo("{\"pid\":" + pid + ",\"ppid\":" + ppid + ",\"config_path\":\"/etc/agg.conf\"}");
        assertThat(get("/api/config").body())
                .isEqualTo("pid:" + pid + "\tppid:" + ppid + "\tconfig_path:/etc/agg.conf");
    }

    @Test
    void unknownPathIs404AndOtherMethodsAre405() throws Exception {
        assertThat(get("/nope").statusCode()).isEqualTo(404);
        URI uri = URI.create("http://127.0.0.1:" + server.localAddress().getPort() + "/health/ready");
        HttpResponse<String> post = client.send(
                HttpRequest.newBuilder(uri)
                        .timeout(Duration.ofSeconds(5))
                        .POST(HttpRequest.BodyPublishers.ofString("x"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(post.statusCode()).isEqualTo(405);
        assertThat(post.headers().firstValue("allow")).hasValue("GET, HEAD");
    }
}
