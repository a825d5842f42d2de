package org.kinesisaggregator.server.app;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.kinesisaggregator.server.app.AggregatorFixture.SYSTEM;
import static org.kinesisaggregator.server.app.AggregatorFixture.fileOutput;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.kinesisaggregator.buffer.EntryWriter;
import org.kinesisaggregator.conf.ConfElement;
import org.kinesisaggregator.conf.ConfException;
import org.kinesisaggregator.server.route.EventFilter;
import org.kinesisaggregator.server.route.FilterChain;
import org.kinesisaggregator.server.route.Router;
import org.kinesisaggregator.server.testing.Event;
import org.kinesisaggregator.server.testing.LogCapture;

/**
 * {@code <filter> @type parser} and {@code <filter> @type stdout} from real conf files: each parser
 * type through a {@link FilterChain}, and whole applications shaped like the public confs (the Docker
 * image's stdout filter; a Kubernetes aggregator's {@code parser} of the {@code log} field with an
 * {@code @ERROR} label) with events read back from file outputs.
 */
class ParserAndStdoutFilterTest {
    private static final long T0 = 1_795_000_000L;
    private static final Clock CLOCK = Clock.fixed(Instant.ofEpochSecond(1_800_000_000L, 7), ZoneOffset.UTC);

    @RegisterExtension
    final AggregatorFixture app = new AggregatorFixture();

    private Aggregator aggregator;

    @BeforeEach
    void setUp() {
        LogCapture.clear();
    }

    private EventFilter parser(String body) throws IOException {
        ConfElement e = app.parse("<filter **>\n  @type parser\n" + body + "</filter>\n")
                .elements()
                .get(0);
        return FilterConf.parser(e, CLOCK, ZoneOffset.UTC);
    }

    private static Map<String, Object> record(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    private static FilterChain.Result run(EventFilter f, Map<String, Object> r) throws IOException {
        ByteBuffer entries = new EntryWriter().add(T0, 5, r).toByteBuffer();
        return new FilterChain(List.of(f)).apply("kube.app", entries, 1);
    }

    private static List<Event> kept(FilterChain.Result r) {
        return Event.decode("kube.app", r.entries(), r.eventCount());
    }

    @Test
    void jsonReplacesTheRecordAndTakesItsTimeField() throws Exception {
        EventFilter f = parser("  key_name log\n  <parse>\n    @type json\n  </parse>\n");
        FilterChain.Result r = run(f, record("log", "{\"level\":\"info\",\"n\":3,\"time\":1795000100.25}", "s", "x"));
        assertThat(kept(r))
                .containsExactly(Event.of("kube.app", 1_795_000_100L, 250_000_000, record("level", "info", "n", 3L)));
    }

    @Test
    void withoutTimeFieldTheTimeIsNowUnlessReserveTime() throws Exception {
        EventFilter now = parser("  key_name log\n  <parse>\n    @type json\n  </parse>\n");
        assertThat(kept(run(now, record("log", "{\"a\":1}"))).get(0).epochSecond())
                .as("estimate_current_event: Fluentd sets the time to now")
                .isEqualTo(1_800_000_000L);
        EventFilter reserve = parser("  key_name log\n  reserve_time true\n  <parse>\n    @type json\n  </parse>\n");
        assertThat(kept(run(reserve, record("log", "{\"a\":1,\"time\":5}"))))
                .containsExactly(Event.of("kube.app", T0, 5, record("a", 1L)));
    }

    @Test
    void reserveDataMergesAndRemoveKeyNameFieldDropsTheField() throws Exception {
        EventFilter f = parser("""
                  key_name log
                  reserve_data true
                  remove_key_name_field true
                  reserve_time true
                  <parse>
                    @type json
                  </parse>
                """);
        assertThat(kept(run(f, record("log", "{\"level\":\"warn\",\"stream\":\"parsed\"}", "stream", "stdout"))))
                .extracting(Event::record)
                .containsExactly(record("stream", "parsed", "level", "warn"));
    }

    @Test
    void injectKeyPrefixAndHashValueField() throws Exception {
        EventFilter f = parser("""
                  key_name message
                  reserve_data true
                  inject_key_prefix p.
                  hash_value_field parsed
                  <parse>
                    @type ltsv
                  </parse>
                """);
        assertThat(kept(run(f, record("message", "host:h1\tstatus:200\tnolabel", "k", "v"))))
                .extracting(Event::record)
                .containsExactly(record(
                        "message",
                        "host:h1\tstatus:200\tnolabel",
                        "k",
                        "v",
                        "parsed",
                        record("p.host", "h1", "p.status", "200")));
    }

    @Test
    void regexpWithRubyGroupNamesAndStrptimeTime() throws Exception {
        EventFilter f = parser("""
                  key_name log
                  <parse>
                    @type regexp
                    expression /^(?<remote_addr>[^ ]+) \\[(?<time>[^\\]]+)\\] "(?<method>\\S+) (?<path>[^"]*)"$/
                    time_format %d/%b/%Y:%H:%M:%S %z
                  </parse>
                """);
        FilterChain.Result r = run(f, record("log", "10.0.0.1 [25/Nov/2026:12:00:00 +0900] \"GET /index.html\""));
        assertThat(kept(r))
                .containsExactly(Event.of(
                        "kube.app",
                        Instant.parse("2026-11-25T03:00:00Z").getEpochSecond(),
                        0,
                        record("remote_addr", "10.0.0.1", "method", "GET", "path", "/index.html")));
    }

    @Test
    void noneKeepsTheWholeText() throws Exception {
        EventFilter f = parser("  key_name log\n  reserve_time true\n  <parse>\n    @type none\n  </parse>\n");
        assertThat(kept(run(f, record("log", "plain text"))))
                .containsExactly(Event.of("kube.app", T0, 5, record("message", "plain text")));
    }

    @Test
    void invalidRecordsGoToErrorOrAreDroppedAsFluentdDoes() throws Exception {
        EventFilter json = parser("  key_name log\n  <parse>\n    @type json\n  </parse>\n");
        FilterChain.Result bad = run(json, record("log", "not json"));
        assertThat(bad.eventCount()).isZero();
        assertThat(bad.errorCount()).isEqualTo(1);
        assertThat(Event.decode("kube.app", bad.errorEntries(), 1))
                .as("the event as the filter got it goes to @ERROR")
                .containsExactly(Event.of("kube.app", T0, 5, record("log", "not json")));
        assertThat(bad.firstError()).hasMessageContaining("pattern not matched with data 'not json'");

        FilterChain.Result missing = run(json, record("msg", "x"));
        assertThat(missing.errorCount()).isEqualTo(1);
        assertThat(missing.firstError()).hasMessage("log does not exist");

        EventFilter reserve = parser("  key_name log\n  reserve_data true\n  <parse>\n    @type regexp\n"
                + "    expression ^(?<a>\\d+)$\n  </parse>\n");
        FilterChain.Result unmatched = run(reserve, record("log", "abc"));
        assertThat(kept(unmatched))
                .as("reserve_data: a text that does not match passes on unchanged")
                .containsExactly(Event.of("kube.app", T0, 5, record("log", "abc")));
        assertThat(unmatched.errorCount()).as("and is an error event too").isEqualTo(1);

        EventFilter quiet = parser(
                "  key_name log\n  emit_invalid_record_to_error false\n" + "  <parse>\n    @type json\n  </parse>\n");
        FilterChain.Result dropped = run(quiet, record("log", "not json"));
        assertThat(dropped.eventCount()).isZero();
        assertThat(dropped.errorCount()).isZero();
        assertThat(dropped.droppedCount()).isEqualTo(1);
    }

    @Test
    void aTimeFieldThatIsNoTimeIsAParseError() throws Exception {
        EventFilter json = parser("  key_name log\n  <parse>\n    @type json\n  </parse>\n");
        FilterChain.Result r = run(json, record("log", "{\"time\":\"2026-11-25T00:00:00Z\"}"));
        assertThat(r.errorCount()).isEqualTo(1);
        assertThat(r.firstError()).hasMessageContaining("invalid time value");
        EventFilter withFormat =
                parser("  key_name log\n  <parse>\n    @type json\n    time_type string\n" + "  </parse>\n");
        assertThat(kept(run(withFormat, record("log", "{\"time\":\"2026-11-25T00:00:00.5Z\"}"))))
                .containsExactly(Event.of(
                        "kube.app", Instant.parse("2026-11-25T00:00:00Z").getEpochSecond(), 500_000_000, record()));
    }

    @Test
    void confErrorsNameFileLineAndParameter() {
        assertThatThrownBy(() -> parser("  key_name log\n  <parse>\n    @type apache2\n  </parse>\n"))
                .isInstanceOf(ConfException.class)
                .hasMessageContaining(app.conf() + ":5")
                .hasMessageContaining("@type: \"apache2\" is not supported (expected: json, regexp, none or ltsv");
        assertThatThrownBy(() -> parser("  <parse>\n    @type json\n  </parse>\n"))
                .isInstanceOf(ConfException.class)
                .hasMessageContaining(app.conf() + ":1")
                .hasMessageContaining("missing required parameter 'key_name'");
        assertThatThrownBy(() -> parser("  key_name log\n"))
                .isInstanceOf(ConfException.class)
                .hasMessageContaining("missing <parse> section");
        assertThatThrownBy(() -> parser("  key_name log\n  <parse>\n    @type regexp\n    expression ^(?<a>.*)$\n"
                        + "    time_format %Q\n  </parse>\n"))
                .isInstanceOf(ConfException.class)
                .hasMessageContaining(app.conf() + ":7")
                .hasMessageContaining("%Q is not supported");
    }

    private void send(String label, String tag, Map<String, Object> record) throws Exception {
        EntryWriter w = new EntryWriter().add(T0, 123_000_000, record);
        aggregator.router(label).append(tag, w.toByteBuffer(), 1, null).get(10, SECONDS);
    }

    @Test
    void theDockerImageShapeStdoutFilterPrintsAndPassesOn() throws Exception {
        aggregator = app.start(SYSTEM + """
                <source>
                  @type forward
                  port 0
                  bind 127.0.0.1
                </source>
                <filter **>
                  @type stdout
                </filter>
                """ + fileOutput("docker.**", "docker"));
        send(Router.ROOT_LABEL, "docker.web", record("log", "hello"));
        await().atMost(Duration.ofSeconds(10))
                .untilAsserted(() -> assertThat(app.outputLines("docker")).containsExactly("{\"log\":\"hello\"}"));
        assertThat(app.stdout().toString(StandardCharsets.UTF_8))
                .isEqualTo("2026-11-18 11:06:40.123000000 +0000 docker.web: {\"log\":\"hello\"}\n");
    }

    @Test
    void stdoutFilterInjectsIntoThePrintedLineOnlyAsFilterStdoutDoes() throws Exception {
        aggregator = app.start(SYSTEM + """
                <source>
                  @type forward
                  port 0
                  bind 127.0.0.1
                </source>
                <filter **>
                  @type stdout
                  <inject>
                    tag_key t
                    hostname_key h
                    hostname web-1
                  </inject>
                </filter>
                """ + fileOutput("docker.**", "docker"));
        send(Router.ROOT_LABEL, "docker.web", record("log", "hello"));
        await().atMost(Duration.ofSeconds(10))
                .untilAsserted(() -> assertThat(app.outputLines("docker")).containsExactly("{\"log\":\"hello\"}"));
        assertThat(app.stdout().toString(StandardCharsets.UTF_8))
                .isEqualTo("2026-11-18 11:06:40.123000000 +0000 docker.web:"
                        + " {\"log\":\"hello\",\"h\":\"web-1\",\"t\":\"docker.web\"}\n"); // Fluentd injects the
        // hostname first
    }

    @Test
    void theKubernetesShapeParserSendsBadRecordsToTheErrorLabel() throws Exception {
        aggregator = app.start(
                SYSTEM + """
                <filter kubernetes.**>
                  @type parser
                  key_name log
                  reserve_data true
                  remove_key_name_field true
                  reserve_time true
                  <parse>
                    @type json
                  </parse>
                </filter>
                """ + fileOutput("kubernetes.**", "kube") + "<label @ERROR>\n" + fileOutput("**", "errors")
                        + "</label>\n");
        send(Router.ROOT_LABEL, "kubernetes.var.log", record("log", "{\"level\":\"info\"}", "pod", "p1"));
        send(Router.ROOT_LABEL, "kubernetes.var.log", record("log", "{broken", "pod", "p2"));
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            assertThat(app.outputLines("kube")).containsExactly("{\"pod\":\"p1\",\"level\":\"info\"}");
            assertThat(app.outputLines("errors")).containsExactly("{\"log\":\"{broken\",\"pod\":\"p2\"}");
        });
    }

    @Test
    void withoutAnErrorLabelBadRecordsAreDroppedCountedAndWarned() throws Exception {
        aggregator = app.start(SYSTEM + """
                <filter app.**>
                  @type parser
                  key_name log
                  <parse>
                    @type json
                  </parse>
                </filter>
                """ + fileOutput("**", "all"));
        send(Router.ROOT_LABEL, "app.x", record("log", "{broken"));
        send(Router.ROOT_LABEL, "app.x", record("log", "{broken"));
        send(Router.ROOT_LABEL, "app.x", record("log", "{broken"));
        assertThat(app.registry()
                        .get("router.events.filter.errors")
                        .tag("label", Router.ROOT_LABEL)
                        .counter()
                        .count())
                .isEqualTo(3.0);
        assertThat(LogCapture.containing("Dropped 1 events of tag app.x", "pattern not matched"))
                .as("rate-limited: the 1st and 2nd time, not the 3rd; log: %s", LogCapture.lines())
                .hasSize(2);
        assertThat(app.outputLines("all")).isEmpty();
    }
}
