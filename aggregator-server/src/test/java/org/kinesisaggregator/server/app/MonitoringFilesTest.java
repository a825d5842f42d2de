package org.kinesisaggregator.server.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
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
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.fluentd.logger.FluentLogger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kinesisaggregator.admin.AdminServer;
import org.kinesisaggregator.conf.ConfEnvironment;
import org.kinesisaggregator.conf.ConfParser;
import org.kinesisaggregator.server.ForwardServer;

/**
 * The shipped Prometheus rules and Grafana dashboard ({@code src/dist/monitoring}) name only metrics a
 * live node exports, and the fluent-plugin-prometheus names come out exactly as that plugin writes them,
 * with counts that move as events pass.
 */
class MonitoringFilesTest {
    private static final Path RULES = Path.of("src/dist/monitoring/prometheus-alerts.yml");
    private static final Path DASHBOARD = Path.of("src/dist/monitoring/grafana-dashboard.json");
    /** Series Prometheus records itself for each target, not exported by the node. */
    static final Set<String> SYNTHETIC = Set.of("up");
    /** The names MonitoringKinesisIT checks (a Kinesis output's meters). */
    static final String KINESIS_PREFIX = "kinesis_";

    @TempDir
    Path dir;

    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private String get(int port, String path) throws Exception {
        HttpResponse<String> r = http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                        .timeout(Duration.ofSeconds(5))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(path).isEqualTo(200);
        return r.body();
    }

    @Test
    void everyMetricOfTheRulesAndTheDashboardIsInALiveScrapeAndFluentdNamesAreExact() throws Exception {
        Path file = dir.resolve("obs.conf");
        Files.writeString(file, """
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
                <source>
                  @type prometheus
                  bind 127.0.0.1
                  port 0
                </source>
                <source>
                  @type prometheus_monitor
                  interval 10
                </source>
                <source>
                  @type prometheus_output_monitor
                  <labels>
                    host ${hostname}
                  </labels>
                </source>
                <match app.**>
                  @type file
                  @id to_file
                  path DIR/out/${tag}
                  append true
                  <buffer tag>
                    @type memory
                    flush_mode immediate
                  </buffer>
                </match>
                """.replace("DIR", dir.toString()));
        Aggregator app = Aggregator.assemble(
                new ConfParser(new ConfEnvironment(Map.<String, String>of()::get, () -> "obs-host")).parse(file),
                Plugins.defaults(),
                LoadedConf.environment(
                        new PrometheusMeterRegistry(PrometheusConfig.DEFAULT),
                        Clock.systemUTC(),
                        new ByteArrayOutputStream()),
                true);
        String hostname = ConfEnvironment.system().hostname().get();
        app.start();
        try {
            List<AdminServer> admins = app.inputs(AdminServer.class);
            int monitor = admins.get(0).localAddress().getPort();
            int prometheus = admins.get(1).localAddress().getPort();
            int forward = app.inputs(ForwardServer.class).get(0).localAddress().getPort();

            FluentLogger logger = FluentLogger.getLogger("app", "127.0.0.1", forward);
            try {
                for (int i = 0; i < 5; i++) {
                    assertThat(logger.log("obs", Map.of("i", i))).isTrue();
                }
                logger.flush();
            } finally {
                logger.close();
            }
            await().atMost(Duration.ofSeconds(20))
                    .untilAsserted(() -> assertThat(get(monitor, "/api/plugins.json?@id=to_file"))
                            .contains("\"emit_records\":5,")
                            .contains("\"buffer_queue_length\":0,")
                            .doesNotContain("\"write_count\":0,"));
            assertThat(get(monitor, "/api/plugins.json?@id=in_fwd")).contains("\"emit_records\":5,");

            String scrape = get(prometheus, "/metrics");
            assertThat(get(monitor, "/metrics")).contains("fluentd_output_status_emit_records"); // both serve it
            String outputLabels = "{host=\"" + hostname + "\",plugin_id=\"to_file\",type=\"file\"}";
            assertThat(scrape)
                    .contains("# TYPE fluentd_output_status_emit_records gauge\n")
                    .contains("fluentd_output_status_emit_records" + outputLabels + " 5.0\n")
                    .contains("fluentd_output_status_emit_count" + outputLabels + " ")
                    .contains("fluentd_output_status_buffer_queue_length" + outputLabels + " 0.0\n")
                    .contains("fluentd_output_status_buffer_available_space_ratio" + outputLabels + " 100.0\n")
                    .contains("fluentd_output_status_retry_count" + outputLabels + " 0.0\n")
                    .contains("fluentd_status_buffer_queue_length{plugin_category=\"output\",plugin_id=\"to_file\","
                            + "type=\"file\"} 0.0\n")
                    .contains("# TYPE fluentd_input_status_num_records_total counter\n")
                    .contains("fluentd_input_status_num_records_total{hostname=\"" + hostname
                            + "\",tag=\"app.obs\"} 5.0\n")
                    .contains("aggregator_ready 1.0\n");
            assertThat(metricValue(scrape, "fluentd_output_status_write_count" + outputLabels))
                    .isGreaterThanOrEqualTo(1);
            Set<String> exported = exportedNames(scrape);
            for (String fluentd : List.of(
                    "fluentd_output_status_buffer_queue_length",
                    "fluentd_output_status_buffer_total_bytes",
                    "fluentd_output_status_retry_count",
                    "fluentd_output_status_emit_records",
                    "fluentd_output_status_emit_count",
                    "fluentd_output_status_num_errors",
                    "fluentd_output_status_write_count",
                    "fluentd_output_status_rollback_count",
                    "fluentd_output_status_retry_wait",
                    "fluentd_output_status_buffer_available_space_ratio",
                    "fluentd_output_status_buffer_stage_length",
                    "fluentd_output_status_buffer_stage_byte_size",
                    "fluentd_output_status_buffer_queue_byte_size",
                    "fluentd_output_status_slow_flush_count",
                    "fluentd_output_status_flush_time_count",
                    "fluentd_status_buffer_queue_length",
                    "fluentd_status_buffer_total_bytes",
                    "fluentd_status_retry_count",
                    "fluentd_input_status_num_records_total")) {
                assertThat(exported).as("exported names").contains(fluentd);
            }
            assertThat(exported).noneMatch(n -> n.startsWith("fluentd_output_status_") && n.endsWith("_total"));

            Set<String> referenced = new TreeSet<>();
            List<String> expressions = new ArrayList<>(ruleExpressions());
            List<String> targets = dashboardExpressions();
            assertThat(expressions).as("rules").hasSizeGreaterThanOrEqualTo(8);
            assertThat(targets).as("dashboard targets").hasSizeGreaterThanOrEqualTo(10);
            expressions.addAll(targets);
            for (String expr : expressions) {
                Set<String> names = metricNames(expr);
                assertThat(names).as("metric names in " + expr).isNotEmpty();
                referenced.addAll(names);
            }
            referenced.removeAll(SYNTHETIC);
            // a Kinesis output's meters exist once it has sent: MonitoringKinesisIT checks those
            referenced.removeIf(n -> n.startsWith(KINESIS_PREFIX));
            assertThat(exported).as("names a live node exports").containsAll(referenced);
            assertThat(exported)
                    .as("no doubled unit in an exported name")
                    .noneMatch(n -> n.matches(".*_(bytes|seconds)_(.*_)?\\1(_.*)?"));
            assertThat(exported)
                    .as("latency histograms for quantiles")
                    .contains("forward_ack_latency_seconds_bucket", "buffer_flush_latency_seconds_bucket");
        } finally {
            app.close();
        }
    }

    @Test
    void theTokenizerFindsMetricNamesAndNothingElse() {
        assertThat(metricNames("histogram_quantile(0.99, sum by (le, output) (rate(a_b_bucket{x=\"y\",z=~\"w.*\"}"
                        + "[$__rate_interval]))) > 0.5 and on (instance) up == 0 or b:c offset 5m"))
                .containsExactly("a_b_bucket", "up", "b:c");
        assertThat(metricNames("process_files_open_files / process_files_max_files > 0.8"))
                .containsExactly("process_files_open_files", "process_files_max_files");
        assertThat(metricNames("topk(10, sum without (tag) (x)) unless bool y")).containsExactly("x", "y");
    }

    private static final Set<String> KEYWORDS = Set.of(
            "and",
            "or",
            "unless",
            "by",
            "without",
            "on",
            "ignoring",
            "group_left",
            "group_right",
            "bool",
            "offset",
            "inf",
            "nan");
    private static final Pattern STRING = Pattern.compile("\"(?:\\\\.|[^\"\\\\])*\"|'(?:\\\\.|[^'\\\\])*'");
    private static final Pattern GROUPING =
            Pattern.compile("\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)");
    private static final Pattern IDENT = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");

    /**
     * The metric names of a PromQL expression: identifiers left once strings, label matchers
     * ({@code {...}}), ranges ({@code [...]}), grouping label lists and Grafana variables are removed,
     * that are neither functions (followed by {@code (}) nor keywords, and not part of a number or a duration.
     */
    static Set<String> metricNames(String expr) {
        String s = STRING.matcher(expr).replaceAll(" ");
        s = s.replaceAll("\\{[^}]*}", " ").replaceAll("\\[[^]]*]", " ");
        s = GROUPING.matcher(s).replaceAll(" ");
        s = s.replaceAll("\\$[a-zA-Z_{}]+", " ");
        s = s.replaceAll("\\boffset\\s+-?[0-9a-z]+", " ");
        Set<String> names = new LinkedHashSet<>();
        Matcher m = IDENT.matcher(s);
        while (m.find()) {
            String id = m.group();
            int start = m.start();
            if (start > 0 && (Character.isDigit(s.charAt(start - 1)) || s.charAt(start - 1) == '.')) {
                continue; // 5m, 1e3, 0.5
            }
            int next = m.end();
            while (next < s.length() && s.charAt(next) == ' ') {
                next++;
            }
            if (next < s.length() && s.charAt(next) == '(') {
                continue; // a function
            }
            if (KEYWORDS.contains(id.toLowerCase(Locale.ROOT))) {
                continue;
            }
            names.add(id);
        }
        return names;
    }

    static List<String> ruleExpressions() throws Exception {
        List<String> out = new ArrayList<>();
        for (String line : Files.readAllLines(RULES)) {
            String t = line.strip();
            if (t.startsWith("expr:")) {
                String e = t.substring("expr:".length()).strip();
                assertThat(e)
                        .as("one-line expr in " + RULES)
                        .isNotEmpty()
                        .isNotEqualTo("|")
                        .isNotEqualTo(">");
                out.add(e);
            }
        }
        return out;
    }

    static List<String> dashboardExpressions() throws Exception {
        List<String> out = new ArrayList<>();
        try (JsonParser p = new JsonFactory().createParser(DASHBOARD.toFile())) {
            JsonToken t;
            while ((t = p.nextToken()) != null) {
                if (t == JsonToken.FIELD_NAME && p.currentName().equals("expr")) {
                    p.nextToken();
                    out.add(p.getText());
                }
            }
        }
        return out;
    }

    static Set<String> exportedNames(String scrape) {
        Set<String> names = new TreeSet<>();
        for (String line : scrape.split("\n")) {
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            Matcher m = IDENT.matcher(line);
            if (m.lookingAt()) {
                names.add(m.group());
            }
        }
        return names;
    }

    private static double metricValue(String scrape, String series) {
        for (String line : scrape.split("\n")) {
            if (line.startsWith(series + " ")) {
                return Double.parseDouble(line.substring(series.length() + 1).strip());
            }
        }
        throw new AssertionError("no series " + series);
    }
}
