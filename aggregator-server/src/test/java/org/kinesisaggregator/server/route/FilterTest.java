package org.kinesisaggregator.server.route;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kinesisaggregator.buffer.EntryWriter;
import org.kinesisaggregator.buffer.EventCursor;
import org.kinesisaggregator.buffer.EventEntries;
import org.kinesisaggregator.buffer.Frame;
import org.kinesisaggregator.conf.ConfElement;
import org.kinesisaggregator.conf.ConfEnvironment;
import org.kinesisaggregator.conf.ConfException;
import org.kinesisaggregator.conf.ConfParser;
import org.kinesisaggregator.server.app.GrepConf;
import org.kinesisaggregator.server.app.RecordTransformerConf;
import org.msgpack.core.MessagePack;
import org.msgpack.core.MessageUnpacker;
import org.msgpack.value.MapValue;
import org.msgpack.value.Value;
import org.msgpack.value.ValueFactory;

/** grep and record_transformer built from real conf files, run through a {@link FilterChain}. */
class FilterTest {
    @TempDir
    Path dir;

    private ConfElement filterElement(String body) throws IOException {
        Path f = dir.resolve("filter.conf");
        Files.writeString(f, "<filter **>\n" + body + "</filter>\n");
        return new ConfParser(new ConfEnvironment(Map.<String, String>of()::get, () -> "h1"))
                .parse(f)
                .elements()
                .get(0);
    }

    private EventFilter grep(String body) throws IOException {
        return GrepConf.filter(filterElement(body));
    }

    private EventFilter transformer(String body) throws IOException {
        return RecordTransformerConf.filter(filterElement(body), "h1", ZoneOffset.UTC);
    }

    private static ByteBuffer entries(List<Map<String, Object>> records) {
        EntryWriter w = new EntryWriter();
        long t = 1_795_564_800L;
        for (Map<String, Object> r : records) {
            w.add(t++, 5, r);
        }
        return w.toByteBuffer();
    }

    private static Map<String, Object> rec(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    /** The records of filtered entries, as JSON text, and checks times survived. */
    private static List<String> run(String tag, List<Map<String, Object>> records, EventFilter... filters)
            throws IOException {
        FilterChain chain = new FilterChain(List.of(filters));
        FilterChain.Result r = chain.apply(tag, entries(records), records.size());
        List<String> out = new ArrayList<>();
        try (EventCursor c = EventEntries.cursor(List.of(new Frame(tag, r.entries(), r.eventCount(), 0)), i -> false)) {
            while (c.next()) {
                assertThat(c.nanos()).isEqualTo(5);
                ByteBuffer b = c.record();
                byte[] bytes = new byte[b.remaining()];
                b.get(bytes);
                try (MessageUnpacker u = MessagePack.newDefaultUnpacker(bytes)) {
                    Value v = u.unpackValue();
                    out.add(v.toJson());
                }
            }
        }
        return out;
    }

    @Test
    void grepRegexpAndExcludeSections() throws IOException {
        EventFilter f = grep("""
          <regexp>
            key level
            pattern /^(warn|error)$/i
          </regexp>
          <regexp>
            key $.http.path
            pattern ^/api
          </regexp>
          <exclude>
            key user
            pattern bot
          </exclude>
        """);
        List<String> out = run(
                "t",
                List.of(
                        rec("level", "ERROR", "http", rec("path", "/api/x"), "user", "alice"),
                        rec("level", "info", "http", rec("path", "/api/x"), "user", "bob"),
                        rec("level", "warn", "http", rec("path", "/web"), "user", "carol"),
                        rec("level", "warn", "http", rec("path", "/api/y"), "user", "googlebot"),
                        rec("level", "warn", "user", "dave")),
                f);
        assertThat(out).containsExactly("{\"level\":\"ERROR\",\"http\":{\"path\":\"/api/x\"},\"user\":\"alice\"}");
    }

    @Test
    void grepLegacyParametersAndNonStringValues() throws IOException {
        EventFilter f = grep("  regexp1 status ^5\n  exclude1 message healthcheck\n");
        List<String> out = run(
                "t",
                List.of(
                        rec("status", 503, "message", "boom"),
                        rec("status", 200, "message", "fine"),
                        rec("status", 500, "message", "GET /healthcheck")),
                f);
        assertThat(out).containsExactly("{\"status\":503,\"message\":\"boom\"}");
    }

    @Test
    void grepRejectsAndOrSectionsAndBadPatterns() {
        assertThatThrownBy(() -> grep("  <and>\n    <regexp>\n      key a\n      pattern b\n    </regexp>\n  </and>\n"))
                .isInstanceOf(ConfException.class)
                .hasMessageContaining(":2: <and> in grep is not supported");
        assertThatThrownBy(() -> grep("  <regexp>\n    key a\n    pattern /(/\n  </regexp>\n"))
                .isInstanceOf(ConfException.class)
                .hasMessageContaining(":4: pattern: \"/(/\" is not a regexp");
        assertThatThrownBy(() -> grep("  <regexp>\n    pattern x\n  </regexp>\n"))
                .isInstanceOf(ConfException.class)
                .hasMessageContaining(":2: <regexp>: missing required parameter 'key'");
    }

    @Test
    void unchangedRecordsKeepTheirBytes() throws IOException {
        ByteBuffer in = entries(List.of(rec("a", "1"), rec("a", "2")));
        byte[] original = new byte[in.remaining()];
        in.duplicate().get(original);
        FilterChain.Result r =
                new FilterChain(List.of(grep("  <regexp>\n    key a\n    pattern .\n  </regexp>\n"))).apply("t", in, 2);
        byte[] kept = new byte[r.entries().remaining()];
        r.entries().duplicate().get(kept);
        assertThat(kept).isEqualTo(original);
    }

    @Test
    void recordTransformerPlaceholders() throws IOException {
        EventFilter f = transformer("""
          <record>
            host ${hostname}
            tag ${tag}
            first ${tag_parts[0]}
            last ${tag_parts[-1]}
            prefix ${tag_prefix[1]}
            suffix ${tag_suffix[1]}
            time ${time}
            copy ${record["n"]}
            text n=${record["n"]} missing=${record["none"]}
            nested {"t": "${tag}", "list": [1, "${record['n']}"]}
          </record>
        """);
        List<String> out = run("web.app.access", List.of(rec("n", 7)), f);
        assertThat(out)
                .containsExactly("{\"n\":7,\"host\":\"h1\",\"tag\":\"web.app.access\",\"first\":\"web\","
                        + "\"last\":\"access\",\"prefix\":\"web.app\",\"suffix\":\"app.access\",\"time\":\"2026-11-25 00:00:00 +0000\","
                        + "\"copy\":7,\"text\":\"n=7 missing=\",\"nested\":{\"t\":\"web.app.access\",\"list\":[1,7]}}");
    }

    @Test
    void recordTransformerWithoutTypecastAndKeyHandling() throws IOException {
        EventFilter f = transformer("""
          auto_typecast false
          renew_record true
          keep_keys a,b
          remove_keys b
          <record>
            n ${record["a"]}
          </record>
        """);
        assertThat(run("t", List.of(rec("a", 1, "b", 2, "c", 3)), f)).containsExactly("{\"a\":1,\"n\":\"1\"}");
        EventFilter remove = transformer("  remove_keys $.x.y, z\n");
        assertThat(run("t", List.of(rec("x", rec("y", 1, "w", 2), "z", 3, "k", 4)), remove))
                .containsExactly("{\"x\":{\"w\":2},\"k\":4}");
    }

    @Test
    void recordTransformerRefusesRuby() {
        assertThatThrownBy(() -> transformer("  enable_ruby true\n"))
                .isInstanceOf(ConfException.class)
                .hasMessageContaining(":2: enable_ruby: true is not supported");
        assertThatThrownBy(() -> transformer("  <record>\n    x ${record[\"a\"].upcase}\n  </record>\n"))
                .isInstanceOf(ConfException.class)
                .hasMessageContaining(":3: x: unsupported placeholder ${record[\"a\"].upcase}");
        assertThatThrownBy(() -> transformer("  renew_time_key t\n"))
                .isInstanceOf(ConfException.class)
                .hasMessageContaining(":2: renew_time_key: is not supported");
        assertThatThrownBy(() -> transformer("  keep_keys a\n"))
                .isInstanceOf(ConfException.class)
                .hasMessageContaining(":2: keep_keys: needs renew_record true");
    }

    @Test
    void failingFilterSendsTheEventToErrorsUnchanged() throws IOException {
        EventFilter failing = new EventFilter() {
            @Override
            public String type() {
                return "failing";
            }

            @Override
            public MapValue filter(String tag, long s, int n, MapValue record) {
                if (record.map().containsKey(ValueFactory.newString("bad"))) {
                    throw new IllegalArgumentException("bad record");
                }
                return record;
            }
        };
        FilterChain.Result r =
                new FilterChain(List.of(failing)).apply("t", entries(List.of(rec("ok", 1), rec("bad", 2))), 2);
        assertThat(r.eventCount()).isEqualTo(1);
        assertThat(r.errorCount()).isEqualTo(1);
        assertThat(r.firstError()).hasMessage("bad record");
    }
}
