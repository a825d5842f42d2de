package org.kinesisaggregator.server.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kinesisaggregator.conf.ConfEnvironment;
import org.kinesisaggregator.conf.ConfException;
import org.kinesisaggregator.conf.ConfParser;
import org.kinesisaggregator.server.ForwardServer;
import org.komamitsu.fluency.EventTime;
import org.komamitsu.fluency.Fluency;
import org.komamitsu.fluency.fluentd.FluencyBuilderForFluentd;

/**
 * Record-key chunk keys and placeholders end to end (issue 13 item 1): a real forward client
 * (Fluency, several events per PackedForward message), the file output writing under the directories
 * its chunks' values resolve to, start-up errors for placeholders no chunk key provides, and the
 * values kept across a restart (chunk files recovered with their metadata).
 */
class ChunkKeysTest {
    @TempDir
    Path dir;

    private Path confFile;

    private Aggregator assemble(String conf) throws Exception {
        confFile = dir.resolve("keys.conf");
        Files.writeString(confFile, conf.replace("@DIR@", dir.toString()));
        return Aggregator.assemble(
                new ConfParser(new ConfEnvironment(Map.<String, String>of()::get, () -> "test-host")).parse(confFile),
                Plugins.defaults(),
                new Aggregator.Environment(
                        new SimpleMeterRegistry(),
                        Clock.systemUTC(),
                        ZoneOffset.UTC,
                        "test-host",
                        new ByteArrayOutputStream()),
                true);
    }

    private static String conf(String flushInterval) {
        return """
        <source>
          @type forward
          bind 127.0.0.1
          port 0
        </source>
        <match app.**>
          @type file
          @id to_file
          path @DIR@/out/${$.log_path}/${tag}
          append true
          <buffer tag,$.log_path>
            @type file
            path @DIR@/buffer
            flush_interval FLUSH
            flush_at_shutdown false
          </buffer>
        </match>
        """.replace("FLUSH", flushInterval);
    }

    /** Sends the events in one flush: Fluency packs them into one PackedForward message (with acks). */
    private static void send(int port, String... logPaths) throws Exception {
        FluencyBuilderForFluentd builder = new FluencyBuilderForFluentd();
        builder.setAckResponseMode(true);
        Fluency fluency = builder.build("127.0.0.1", port);
        try {
            for (int i = 0; i < logPaths.length; i++) {
                Map<String, Object> record = new LinkedHashMap<>();
                record.put("seq", (long) i);
                if (logPaths[i] != null) {
                    record.put("log_path", logPaths[i]);
                }
                fluency.emit("app.web", EventTime.fromEpoch(1_700_000_000L + i, 0), record);
            }
            fluency.flush();
            assertThat(fluency.waitUntilAllBufferFlushed(30)).isTrue();
        } finally {
            fluency.close();
        }
    }

    @Test
    void theFilePathIsResolvedPerChunkFromTheRecordKeyNotWrittenLiterally() throws Exception {
        Aggregator app = assemble(conf("1s"));
        app.start();
        try {
            int port = app.inputs(ForwardServer.class).get(0).localAddress().getPort();
            send(port, "web", "api", "web", null, "../../escape");
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
                assertThat(dir.resolve("out/web/app.web.log")).exists();
                assertThat(dir.resolve("out/api/app.web.log")).exists();
                assertThat(dir.resolve("out/.._.._escape/app.web.log")).exists();
                assertThat(dir.resolve("out/app.web.log"))
                        .as("no log_path: empty value")
                        .exists();
            });
            assertThat(Files.readAllLines(dir.resolve("out/web/app.web.log")))
                    .hasSize(2)
                    .allMatch(l -> l.contains("\"log_path\":\"web\""));
            assertThat(Files.readString(dir.resolve("out/api/app.web.log"))).contains("\"seq\":1");
            assertThat(dir.resolve("out/${$.log_path}")).doesNotExist();
            try (Stream<Path> s = Files.walk(dir.resolve("out"))) {
                assertThat(s.map(Path::toString)).noneMatch(p -> p.contains("${"));
            }
        } finally {
            app.close();
        }
    }

    @Test
    void aChunksValuesSurviveARestart() throws Exception {
        Aggregator first = assemble(conf("1h"));
        first.start();
        try {
            send(first.inputs(ForwardServer.class).get(0).localAddress().getPort(), "web", "api");
        } finally {
            first.close();
        }
        assertThat(dir.resolve("out")).as("nothing flushed before the restart").doesNotExist();
        Aggregator second = assemble(conf("1s"));
        second.start();
        try {
            // recovered chunks are queued at start: each goes where its header's values say
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
                assertThat(dir.resolve("out/web/app.web.log")).content().contains("\"seq\":0");
                assertThat(dir.resolve("out/api/app.web.log")).content().contains("\"seq\":1");
            });
        } finally {
            second.close();
        }
    }

    @Test
    void aPlaceholderNoChunkKeyProvidesIsAStartUpErrorNamingFileLineAndParameter() {
        assertThatThrownBy(() -> assemble("""
                <match app.**>
                  @type file
                  path @DIR@/logs/${$.log_path}/${$.kubernetes_container_name}
                  <buffer tag,$.log_path>
                    path @DIR@/buffer
                  </buffer>
                </match>
                """))
                .isInstanceOf(ConfException.class)
                .hasMessageContaining("keys.conf:3")
                .hasMessageContaining("path: '")
                .hasMessageContaining("do not have $.kubernetes_container_name")
                .hasMessageContaining("<buffer tag,$.log_path,$.kubernetes_container_name>");
    }

    @Test
    void rubyInAPlaceholderIsAStartUpErrorWithTheUsualRewrite() {
        assertThatThrownBy(() -> assemble("""
                <match app.**>
                  @type file
                  path @DIR@/logs/${tag_parts[1]}
                  <buffer tag>
                    path @DIR@/buffer
                  </buffer>
                </match>
                """))
                .isInstanceOf(ConfException.class)
                .hasMessageContaining("keys.conf:3")
                .hasMessageContaining("placeholder ${tag_parts[1]} is not supported")
                .hasMessageContaining("${tag_parts[N]} is ${tag[N]} here");
    }

    @Test
    void aSecondaryBasenameIsCheckedAgainstThePrimarysChunkKeys() {
        assertThatThrownBy(() -> assemble("""
                <match app.**>
                  @type file
                  path @DIR@/logs/${$.log_path}
                  <buffer $.log_path>
                    path @DIR@/buffer
                  </buffer>
                  <secondary>
                    @type secondary_file
                    directory @DIR@/failed
                    basename ${level}.dump
                  </secondary>
                </match>
                """))
                .isInstanceOf(ConfException.class)
                .hasMessageContaining("keys.conf:10")
                .hasMessageContaining("basename: ")
                .hasMessageContaining("do not have level");
    }

    @Test
    void aBadRecordChunkKeyIsAStartUpError() {
        assertThatThrownBy(() -> assemble("""
                <match app.**>
                  @type file
                  path @DIR@/logs/x
                  <buffer $.a..b>
                    path @DIR@/buffer
                  </buffer>
                </match>
                """))
                .isInstanceOf(ConfException.class)
                .hasMessageContaining("keys.conf:4")
                .hasMessageContaining("$.a..b");
    }

    private static String kinesis(String streamName, String bufferArg, String bufferParams) {
        return """
                <match app.**>
                  @type kinesis_streams_aggregated
                  @id to_kinesis
                  region ap-northeast-1
                  stream_name STREAM
                  <buffer ARG>
                    @type file
                    path @DIR@/buffer
                PARAMS
                  </buffer>
                </match>
                """.replace("STREAM", streamName).replace("ARG", bufferArg).replace("PARAMS", bufferParams);
    }

    @Test
    void theTimeChunkKeyOfAKinesisOutputTakesTimekeyAndStrftimeInTheStreamName() throws Exception {
        Aggregator a = assemble(
                kinesis("logs-%Y%m%d%H", "time", "    timekey 1h\n    timekey_wait 30s\n    timekey_use_utc true"));
        assertThat(a.summary()).contains("chunk keys time (timekey 1h in Z)");
        assertThat(a.warnings()).noneMatch(w -> w.contains("timekey"));
    }

    @Test
    void theTimeChunkKeyWithoutTimekeyIsAStartUpError() {
        assertThatThrownBy(() -> assemble(kinesis("logs-%Y%m%d%H", "time", "")))
                .isInstanceOf(ConfException.class)
                .hasMessageContaining("keys.conf:6")
                .hasMessageContaining("chunk key 'time' needs timekey");
    }

    @Test
    void strftimeInTheStreamNameWithoutTheTimeChunkKeyIsAStartUpError() {
        assertThatThrownBy(() -> assemble(kinesis("logs-%Y%m%d%H", "tag", "")))
                .isInstanceOf(ConfException.class)
                .hasMessageContaining("keys.conf:5")
                .hasMessageContaining("has strftime placeholders, but the chunk keys have no time");
    }

    @Test
    void timekeyWaitWithoutTheTimeChunkKeyIsAWarningAsFluentdIgnoresIt() throws Exception {
        Aggregator a = assemble(kinesis("logs", "tag", "    timekey_wait 30s"));
        assertThat(a.warnings())
                .anySatisfy(w -> assertThat(w)
                        .contains("keys.conf:9")
                        .contains("parameter 'timekey_wait' in <buffer tag>")
                        .contains("has no effect without a time chunk key (expected: <buffer tag,time>"));
    }
}
