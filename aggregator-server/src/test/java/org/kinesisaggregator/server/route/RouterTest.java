package org.kinesisaggregator.server.route;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kinesisaggregator.buffer.AppendResult;
import org.kinesisaggregator.buffer.EntryWriter;
import org.kinesisaggregator.buffer.StreamedAppend;
import org.kinesisaggregator.conf.ConfEnvironment;
import org.kinesisaggregator.conf.ConfParser;
import org.kinesisaggregator.server.app.FileOutputConf;
import org.kinesisaggregator.server.output.FileOutput;
import org.kinesisaggregator.server.output.SyncOutputSink;
import org.msgpack.value.MapValue;

/** A Router wired by hand to real file outputs: error routing, the no-filter path, streams, log rate. */
class RouterTest {
    @TempDir
    Path dir;

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private FileOutput good;
    private FileOutput errors;

    @AfterEach
    void close() {
        if (good != null) {
            good.close();
        }
        if (errors != null) {
            errors.close();
        }
    }

    private FileOutput fileOutput(String name) throws Exception {
        Path f = dir.resolve("f.conf");
        Files.writeString(
                f,
                "<match>\n  path " + dir.resolve(name) + "\n  append true\n  <format>\n    @type json\n"
                        + "  </format>\n  <buffer>\n  </buffer>\n</match>\n");
        var e = new ConfParser(ConfEnvironment.system()).parse(f).elements().get(0);
        FileOutput out = new FileOutput(name, FileOutputConf.settings(e, ZoneOffset.UTC, "host"));
        out.start();
        return out;
    }

    private static final EventFilter FAIL_ON_BAD = new EventFilter() {
        @Override
        public String type() {
            return "fail_on_bad";
        }

        @Override
        public MapValue filter(String tag, long s, int n, MapValue record) {
            if (record.toJson().contains("bad")) {
                throw new IllegalStateException("cannot filter");
            }
            return record;
        }
    };

    @Test
    void filterFailuresGoToTheErrorSinkAndTheAckWaitsForBoth() throws Exception {
        good = fileOutput("good");
        errors = fileOutput("errors");
        Router router = new Router(Router.ROOT_LABEL, registry);
        router.configure(
                List.of(
                        new Router.FilterRule(TagPattern.compile("**"), FAIL_ON_BAD, "<filter **>"),
                        new Router.MatchRule(
                                TagPattern.compile("**"),
                                new SyncOutputSink("good", good, Clock.systemUTC()),
                                "<match **>")),
                new SyncOutputSink("errors", errors, Clock.systemUTC()));
        EntryWriter w = new EntryWriter().add(1, 0, Map.of("v", "fine")).add(2, 0, Map.of("v", "bad"));
        AppendResult r = router.append("t", w.toByteBuffer(), 2, null).get(10, SECONDS);
        assertThat(r).isEqualTo(AppendResult.stored(2));
        assertThat(Files.readAllLines(dir.resolve("good.log"), StandardCharsets.UTF_8))
                .containsExactly("{\"v\":\"fine\"}");
        assertThat(Files.readAllLines(dir.resolve("errors.log"), StandardCharsets.UTF_8))
                .containsExactly("{\"v\":\"bad\"}");
        assertThat(router.describeRoute("t")).isEqualTo("filters [fail_on_bad] then <match **>");
        assertThat(registry.get("router.events.filter.errors").counter().count())
                .isEqualTo(1.0);
    }

    @Test
    void withoutAnErrorLabelFailedEventsAreDroppedAndTheRestAcked() throws Exception {
        good = fileOutput("good");
        Router router = new Router("@X", registry);
        router.configure(
                List.of(
                        new Router.FilterRule(TagPattern.compile("**"), FAIL_ON_BAD, "<filter **>"),
                        new Router.MatchRule(
                                TagPattern.compile("**"),
                                new SyncOutputSink("good", good, Clock.systemUTC()),
                                "<match **>")),
                null);
        EntryWriter w = new EntryWriter().add(1, 0, Map.of("v", "bad"));
        assertThat(router.append("t", w.toByteBuffer(), 1, null).get(10, SECONDS))
                .isEqualTo(AppendResult.stored(0));
        assertThat(dir.resolve("good.log")).doesNotExist();
    }

    @Test
    void unmatchedStreamsAreCountedAtCommit() throws Exception {
        Router router = new Router(Router.ROOT_LABEL, registry);
        router.configure(List.of(), null);
        StreamedAppend s = router.openStream("nowhere");
        EntryWriter w = new EntryWriter().add(1, 0, Map.of("a", 1)).add(2, 0, Map.of("a", 2));
        s.write(w.toByteBuffer(), 2).get(10, SECONDS);
        assertThat(s.commit(null).get(10, SECONDS)).isEqualTo(AppendResult.stored(0));
        assertThat(registry.get("router.events.unmatched").counter().count()).isEqualTo(2.0);
        assertThat(router.describeRoute("nowhere")).isEqualTo("no match");
    }

    @Test
    void noPatternsMatchedIsLoggedAsFluentdRateLimitsIt() {
        List<Long> logged = new ArrayList<>();
        for (long n = 1; n <= 2048; n++) {
            if (Router.shouldLog(n)) {
                logged.add(n);
            }
        }
        assertThat(logged).containsExactly(1L, 2L, 4L, 8L, 16L, 32L, 64L, 128L, 256L, 512L, 1024L, 1536L, 2048L);
    }
}
