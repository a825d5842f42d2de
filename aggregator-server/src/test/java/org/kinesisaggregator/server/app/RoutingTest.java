package org.kinesisaggregator.server.app;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.kinesisaggregator.server.app.AggregatorFixture.SYSTEM;
import static org.kinesisaggregator.server.app.AggregatorFixture.fileOutput;
import static org.kinesisaggregator.server.app.AggregatorFixture.fileOutputBody;

import io.micrometer.core.instrument.MeterRegistry;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.kinesisaggregator.buffer.AppendResult;
import org.kinesisaggregator.buffer.EntryWriter;
import org.kinesisaggregator.buffer.EventSink;
import org.kinesisaggregator.buffer.StreamedAppend;
import org.kinesisaggregator.server.ForwardSettings;
import org.kinesisaggregator.server.Input;
import org.kinesisaggregator.server.route.Router;

/**
 * Routing through the real {@link Aggregator} on confs with file and stdout outputs: events are
 * appended to the routers' EventSinks (as the forward server will) and the exact events are read
 * back from the output files.
 */
class RoutingTest {
    @RegisterExtension
    final AggregatorFixture app = new AggregatorFixture();

    private Aggregator aggregator;

    private Aggregator start(String conf) throws Exception {
        aggregator = app.start(conf);
        return aggregator;
    }

    private static AppendResult send(EventSink sink, String tag, String... messages) throws Exception {
        EntryWriter w = new EntryWriter();
        long t = 1_795_000_000L;
        for (String m : messages) {
            Map<String, Object> record = new LinkedHashMap<>();
            record.put("msg", m);
            w.add(t++, 123_456_789, record);
        }
        return sink.append(tag, w.toByteBuffer(), w.eventCount(), null).get(10, SECONDS);
    }

    private void awaitLines(String name, String... expected) {
        await().atMost(Duration.ofSeconds(10))
                .untilAsserted(() -> assertThat(app.outputLines(name)).containsExactly(expected));
    }

    @Test
    void aFileOutputInjectsTheApplicationsHostNameNotTheMachines() throws Exception {
        // the fixture's Environment names the host "test-host"; no machine is called that
        start(SYSTEM + """
                <match app.**>
                  @type file
                  @id injected
                  path ${dir}/out/injected
                  append true
                  <format>
                    @type json
                  </format>
                  <inject>
                    hostname_key host
                  </inject>
                  <buffer>
                    flush_mode immediate
                  </buffer>
                </match>
                """);
        send(aggregator.router(Router.ROOT_LABEL), "app.x", "h1");
        awaitLines("injected", "{\"msg\":\"h1\",\"host\":\"test-host\"}");
    }

    @Test
    void firstMatchWinsInFileOrder() throws Exception {
        start(SYSTEM + fileOutput("app.access", "access") + fileOutput("app.*", "app") + fileOutput("**", "rest"));
        Router root = aggregator.router(Router.ROOT_LABEL);
        assertThat(send(root, "app.access", "a1", "a2")).isEqualTo(AppendResult.stored(2));
        send(root, "app.error", "e1");
        send(root, "app.access.deep", "d1");
        send(root, "other", "o1");
        awaitLines("access", "{\"msg\":\"a1\"}", "{\"msg\":\"a2\"}");
        awaitLines("app", "{\"msg\":\"e1\"}");
        awaitLines("rest", "{\"msg\":\"d1\"}", "{\"msg\":\"o1\"}");
    }

    @Test
    void bracesAndSeveralPatterns() throws Exception {
        start(SYSTEM + fileOutput("web.{access,error}.** db.slow", "picked") + fileOutput("**", "rest"));
        Router root = aggregator.router(Router.ROOT_LABEL);
        send(root, "web.access", "1");
        send(root, "web.error.x", "2");
        send(root, "db.slow", "3");
        send(root, "web.debug", "4");
        send(root, "db.slow.x", "5");
        awaitLines("picked", "{\"msg\":\"1\"}", "{\"msg\":\"2\"}", "{\"msg\":\"3\"}");
        awaitLines("rest", "{\"msg\":\"4\"}", "{\"msg\":\"5\"}");
    }

    @Test
    void unmatchedEventsAreDroppedCountedAndStillAcked() throws Exception {
        start(SYSTEM + fileOutput("app.**", "app"));
        Router root = aggregator.router(Router.ROOT_LABEL);
        assertThat(send(root, "nothing.here", "x", "y")).isEqualTo(AppendResult.stored(0));
        assertThat(app.registry()
                        .get("router.events.unmatched")
                        .tag("label", "@ROOT")
                        .counter()
                        .count())
                .isEqualTo(2.0);
        send(root, "app.ok", "z");
        awaitLines("app", "{\"msg\":\"z\"}");
    }

    @Test
    void sourcesGoToTheirLabelAndRelabelMovesEvents() throws Exception {
        List<EventSink> sinks = new ArrayList<>();
        InputFactory capture = (ForwardSettings settings, EventSink sink, MeterRegistry r) -> {
            sinks.add(sink);
            return new Input() {
                @Override
                public String type() {
                    return "forward";
                }

                @Override
                public void start() {}

                @Override
                public void drain(Duration timeout) {}

                @Override
                public void close() {}
            };
        };
        String conf = SYSTEM + """
        <source>
          @type forward
          port 0
          @label @IN
        </source>
        <source>
          @type forward
          port 0
        </source>
        """ + fileOutput("**", "root") + """
        <label @IN>
          <match audit.**>
            @type relabel
            @label @AUDIT
          </match>
        """ + fileOutput("**", "in") + """
        </label>
        <label @AUDIT>
        """
                + fileOutput("**", "audit") + "</label>\n";
        aggregator = app.start(conf, Plugins.defaults().withInput("forward", capture), false);
        assertThat(sinks).hasSize(2);
        send(sinks.get(0), "app.x", "in1");
        send(sinks.get(0), "audit.login", "au1");
        send(sinks.get(1), "app.x", "root1");
        awaitLines("in", "{\"msg\":\"in1\"}");
        awaitLines("audit", "{\"msg\":\"au1\"}");
        awaitLines("root", "{\"msg\":\"root1\"}");
    }

    @Test
    void copyWritesEveryStoreAndAcksWhenAllDid() throws Exception {
        start(SYSTEM + """
        <match **>
          @type copy
          copy_mode deep
          <store>
            @type file
            path ${dir}/out/one
            append true
            <format>
              @type json
            </format>
            <buffer>
              flush_mode immediate
            </buffer>
          </store>
          <store ignore_error>
            @type file
            path ${dir}/out/two
            append true
            <format>
              @type single_value
              message_key msg
            </format>
            <buffer>
              flush_mode immediate
            </buffer>
          </store>
        </match>
        """);
        assertThat(send(aggregator.router(Router.ROOT_LABEL), "t", "c1", "c2")).isEqualTo(AppendResult.stored(4));
        awaitLines("one", "{\"msg\":\"c1\"}", "{\"msg\":\"c2\"}");
        awaitLines("two", "c1", "c2");
    }

    @Test
    void filtersApplyBeforeTheirMatchOnly() throws Exception {
        start(SYSTEM + """
        <filter app.**>
          @type grep
          <exclude>
            key msg
            pattern /^debug/
          </exclude>
        </filter>
        <filter app.**>
          @type record_transformer
          <record>
            host ${hostname}
            second_part ${tag_parts[1]}
          </record>
        </filter>
        """ + fileOutput("app.**", "app") + """
        <filter **>
          @type record_transformer
          <record>
            late yes
          </record>
        </filter>
        """ + fileOutput("**", "rest"));
        Router root = aggregator.router(Router.ROOT_LABEL);
        assertThat(send(root, "app.web", "debug: noise", "kept")).isEqualTo(AppendResult.stored(1));
        send(root, "other", "o");
        awaitLines("app", "{\"msg\":\"kept\",\"host\":\"test-host\",\"second_part\":\"web\"}");
        awaitLines("rest", "{\"msg\":\"o\",\"late\":\"yes\"}");
        assertThat(app.registry()
                        .get("router.events.filtered")
                        .tag("label", "@ROOT")
                        .counter()
                        .count())
                .isEqualTo(1.0);
    }

    @Test
    void streamsFanOutThroughFiltersAndCommitOnce() throws Exception {
        start(SYSTEM + """
        <filter big.**>
          @type grep
          <regexp>
            key msg
            pattern keep
          </regexp>
        </filter>
        """ + fileOutput("big.**", "big"));
        Router root = aggregator.router(Router.ROOT_LABEL);
        StreamedAppend stream = root.openStream("big.file");
        for (int piece = 0; piece < 3; piece++) {
            EntryWriter w = new EntryWriter();
            w.add(1_795_000_000L, 0, Map.of("msg", "keep-" + piece));
            w.add(1_795_000_000L, 0, Map.of("msg", "drop-" + piece));
            stream.write(w.toByteBuffer(), w.eventCount()).get(10, SECONDS);
        }
        assertThat(stream.commit(null).get(10, SECONDS).storedEvents()).isEqualTo(3);
        awaitLines("big", "{\"msg\":\"keep-0\"}", "{\"msg\":\"keep-1\"}", "{\"msg\":\"keep-2\"}");
    }

    @Test
    void streamsFanOutToEveryStoreOfACopy() throws Exception {
        start(SYSTEM + """
        <match **>
          @type copy
          <store>
        """ + fileOutputBody("s1") + """
          </store>
          <store>
        """ + fileOutputBody("s2") + """
          </store>
        </match>
        """);
        StreamedAppend stream = aggregator.router(Router.ROOT_LABEL).openStream("t");
        for (int piece = 0; piece < 2; piece++) {
            EntryWriter w = new EntryWriter().add(1_795_000_000L, 0, Map.of("msg", "p" + piece));
            stream.write(w.toByteBuffer(), w.eventCount()).get(10, SECONDS);
        }
        assertThat(stream.commit(null).get(10, SECONDS).storedEvents()).isEqualTo(4);
        awaitLines("s1", "{\"msg\":\"p0\"}", "{\"msg\":\"p1\"}");
        awaitLines("s2", "{\"msg\":\"p0\"}", "{\"msg\":\"p1\"}");
    }

    @Test
    void unbufferedStdoutUsesFluentdsLineFormatAndTheAckWaitsForIt() throws Exception {
        start("""
        <match **>
          @type stdout
        </match>
        """);
        EntryWriter w = new EntryWriter();
        Map<String, Object> record = new LinkedHashMap<>();
        record.put("k", "v");
        record.put("n", 1);
        w.add(1_795_564_800L, 123_456_789, record);
        ByteBuffer entries = w.toByteBuffer();
        AppendResult r = aggregator
                .router(Router.ROOT_LABEL)
                .append("app.web", entries, 1, null)
                .get(10, SECONDS);
        assertThat(r).isEqualTo(AppendResult.stored(1));
        // completed append ⇒ the line is already written
        assertThat(app.stdout().toString(StandardCharsets.UTF_8))
                .isEqualTo("2026-11-25 00:00:00.123456789 +0000 app.web: {\"k\":\"v\",\"n\":1}\n");
    }

    @Test
    void outFileFormatWithTimeSlicedPaths() throws Exception {
        start(SYSTEM + """
        <match **>
          @type file
          @id sliced
          path ${dir}/out/sliced/${tag}
          append true
          <format>
            @type out_file
            utc true
          </format>
          <buffer tag,time>
            timekey 1h
            timekey_use_utc true
            flush_mode immediate
          </buffer>
        </match>
        """);
        EntryWriter w = new EntryWriter();
        w.add(1_795_564_800L, 0, Map.of("a", 1)); // 2026-11-25 00:00:00 UTC
        w.add(1_795_568_399L, 0, Map.of("a", 2)); // 00:59:59
        w.add(1_795_568_400L, 0, Map.of("a", 3)); // 01:00:00
        aggregator
                .router(Router.ROOT_LABEL)
                .append("web", w.toByteBuffer(), 3, null)
                .get(10, SECONDS);
        Path first = app.dir.resolve("out/sliced/web.2026112500.log");
        Path second = app.dir.resolve("out/sliced/web.2026112501.log");
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            assertThat(first).exists();
            assertThat(second).exists();
        });
        assertThat(Files.readAllLines(first))
                .containsExactly(
                        "2026-11-25T00:00:00+00:00\tweb\t{\"a\":1}", "2026-11-25T00:59:59+00:00\tweb\t{\"a\":2}");
        assertThat(Files.readAllLines(second)).containsExactly("2026-11-25T01:00:00+00:00\tweb\t{\"a\":3}");
    }
}
