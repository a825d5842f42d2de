package org.kinesisaggregator.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kinesisaggregator.cli.Main;
import org.kinesisaggregator.conf.ConfEnvironment;
import org.kinesisaggregator.conf.ConfParser;
import org.kinesisaggregator.kinesis.tail.StreamTail;
import org.kinesisaggregator.kinesis.tail.TailRecord;
import org.kinesisaggregator.kinesis.testing.LocalKinesis;
import org.kinesisaggregator.server.ForwardServer;
import org.kinesisaggregator.server.app.Aggregator;
import org.kinesisaggregator.server.app.Plugins;
import org.komamitsu.fluency.EventTime;
import org.komamitsu.fluency.Fluency;
import org.komamitsu.fluency.fluentd.FluencyBuilderForFluentd;

/**
 * The Kinesis plugin README's record-key routing (issue 13 item 1) end to end: {@code stream_name
 * ${$.kubernetes.annotations.stream}} with that key as chunk key, a real forward client (Fluency, with
 * acks, several events per PackedForward message naming both streams), the real KPL daemon and the
 * local emulator with two streams; each stream read back holds exactly the events whose records name
 * it.
 */
class ChunkKeysKinesisIT {
    private static final String REGION = "ap-northeast-1";
    private static final List<String> STREAMS = List.of("alpha", "beta");
    private static final int EVENTS = 900;

    @TempDir
    Path dir;

    @Test
    void everyEventIsInTheStreamItsRecordNamesAndNoneInTheOther() throws Exception {
        try (LocalKinesis kinesis = LocalKinesis.start()) {
            for (String s : STREAMS) {
                kinesis.createStream(s, 1);
            }
            Path conf = dir.resolve("keys.conf");
            Files.writeString(conf, """
          <source>
            @type forward
            bind 127.0.0.1
            port 0
          </source>
          <match k.**>
            @type kinesis_streams_aggregated
            region ap-northeast-1
            stream_name ${$.kubernetes.annotations.stream}
            endpoint @ENDPOINT@
            ssl_verify_peer false
            aws_key_id AKIDLOCALKINESIS
            aws_sec_key local-kinesis-secret
            <kinesis_producer>
              metrics_level none
              log_level error
            </kinesis_producer>
            <buffer $.kubernetes.annotations.stream>
              @type file
              path @DIR@/buffer
              flush_interval 1s
            </buffer>
          </match>
          """.replace("@DIR@", dir.toString())
                    .replace("@ENDPOINT@", kinesis.endpoint().toString()));

            Aggregator app = Aggregator.assemble(
                    new ConfParser(ConfEnvironment.system()).parse(conf),
                    Plugins.defaults(),
                    new Aggregator.Environment(
                            new SimpleMeterRegistry(),
                            Clock.systemUTC(),
                            ZoneOffset.UTC,
                            "test-host",
                            new ByteArrayOutputStream()),
                    false);
            Map<String, List<Long>> expected = new LinkedHashMap<>();
            STREAMS.forEach(s -> expected.put(s, new ArrayList<>()));
            app.start();
            try {
                int port = app.inputs(ForwardServer.class).get(0).localAddress().getPort();
                FluencyBuilderForFluentd builder = new FluencyBuilderForFluentd();
                builder.setAckResponseMode(true);
                builder.setFlushAttemptIntervalMillis(100);
                Fluency fluency = builder.build("127.0.0.1", port);
                try {
                    for (int i = 0; i < EVENTS; i++) {
                        // two tags; within each, consecutive events name different streams, so
                        // every PackedForward message Fluency sends mixes both
                        String tag = i % 2 == 0 ? "k.web" : "k.api";
                        String stream = STREAMS.get((i / 2 + i / 7) % 2);
                        Map<String, Object> record = new LinkedHashMap<>();
                        record.put("seq", (long) i);
                        record.put("kubernetes", Map.of("annotations", Map.of("stream", stream)));
                        fluency.emit(tag, EventTime.fromEpoch(1_700_000_000L + i, 0L), record);
                        expected.get(stream).add((long) i);
                    }
                    fluency.flush();
                    assertThat(fluency.waitUntilAllBufferFlushed(60))
                            .as("every message acked")
                            .isTrue();
                } finally {
                    fluency.close();
                }
                assertThat(expected.get("alpha")).hasSizeGreaterThan(EVENTS / 4);
                assertThat(expected.get("beta")).hasSizeGreaterThan(EVENTS / 4);

                for (String stream : STREAMS) {
                    // kinesis-aggregator tail, as a user runs it, until it has read the stream's events
                    ByteArrayOutputStream tailed = new ByteArrayOutputStream();
                    ByteArrayOutputStream tailErr = new ByteArrayOutputStream();
                    int count = expected.get(stream).size();
                    CompletableFuture<Integer> tail = CompletableFuture.supplyAsync(() -> Main.execute(
                            new String[] {
                                "tail",
                                "--stream",
                                stream,
                                "--endpoint",
                                kinesis.endpoint().toString(),
                                "--region",
                                REGION,
                                "--count",
                                String.valueOf(count),
                                "--fake-credentials"
                            },
                            Plugins.defaults(),
                            new PrintStream(tailed, true, StandardCharsets.UTF_8),
                            new PrintStream(tailErr, true, StandardCharsets.UTF_8)));
                    assertThat(tail.get(120, TimeUnit.SECONDS))
                            .as("tail of %s: exit code; stderr: %s", stream, tailErr)
                            .isEqualTo(Main.OK);
                    List<Long> seqs = new ArrayList<>();
                    for (String line : tailed.toString(StandardCharsets.UTF_8).split("\n")) {
                        Map<String, Object> event = parse(line);
                        assertThat(event)
                                .as("event read from %s", stream)
                                .containsEntry("kubernetes", Map.of("annotations", Map.of("stream", stream)));
                        seqs.add((Long) event.get("seq"));
                    }
                    assertThat(seqs).as("tail of %s", stream).containsExactlyInAnyOrderElementsOf(expected.get(stream));
                }

                // everything now in each stream (not only the first N): exactly its events, none of the other's
                for (String stream : STREAMS) {
                    List<Long> seqs = new ArrayList<>();
                    try (StreamTail reader =
                            new StreamTail(kinesis.tailOptions(stream).withRegion(REGION))) {
                        for (TailRecord r : reader.readAll()) {
                            Map<String, Object> event =
                                    parse(new String(r.record().data(), StandardCharsets.UTF_8));
                            seqs.add((Long) event.get("seq"));
                        }
                    }
                    assertThat(seqs)
                            .as("every record in %s", stream)
                            .containsExactlyInAnyOrderElementsOf(expected.get(stream));
                }
            } finally {
                app.close();
            }
        }
    }

    @Test
    void withTheTimeChunkKeyEachHoursEventsGoToTheStreamItsSliceNames() throws Exception {
        // 2023-11-14T22:00:00Z and 23:00: consecutive events alternate between the two hours
        long hour22 = 1_699_999_200L;
        Map<String, List<Long>> expected = new LinkedHashMap<>();
        expected.put("logs-2023111422", new ArrayList<>());
        expected.put("logs-2023111423", new ArrayList<>());
        try (LocalKinesis kinesis = LocalKinesis.start()) {
            for (String s : expected.keySet()) {
                kinesis.createStream(s, 1);
            }
            Path conf = dir.resolve("time.conf");
            Files.writeString(conf, """
          <source>
            @type forward
            bind 127.0.0.1
            port 0
          </source>
          <match k.**>
            @type kinesis_streams_aggregated
            region ap-northeast-1
            stream_name logs-%Y%m%d%H
            endpoint @ENDPOINT@
            ssl_verify_peer false
            aws_key_id AKIDLOCALKINESIS
            aws_sec_key local-kinesis-secret
            <kinesis_producer>
              metrics_level none
              log_level error
            </kinesis_producer>
            <buffer time>
              @type file
              path @DIR@/buffer
              timekey 1h
              timekey_wait 0s
              timekey_use_utc true
              flush_interval 1s
            </buffer>
          </match>
          """.replace("@DIR@", dir.toString())
                    .replace("@ENDPOINT@", kinesis.endpoint().toString()));
            Aggregator app = Aggregator.assemble(
                    new ConfParser(ConfEnvironment.system()).parse(conf),
                    Plugins.defaults(),
                    new Aggregator.Environment(
                            new SimpleMeterRegistry(),
                            Clock.systemUTC(),
                            ZoneOffset.of("+09:00"),
                            "test-host",
                            new ByteArrayOutputStream()),
                    false);
            app.start();
            try {
                int port = app.inputs(ForwardServer.class).get(0).localAddress().getPort();
                FluencyBuilderForFluentd builder = new FluencyBuilderForFluentd();
                builder.setAckResponseMode(true);
                builder.setFlushAttemptIntervalMillis(100);
                Fluency fluency = builder.build("127.0.0.1", port);
                try {
                    for (int i = 0; i < 400; i++) {
                        long time = hour22 + (i % 2) * 3600L + i;
                        Map<String, Object> record = new LinkedHashMap<>();
                        record.put("seq", (long) i);
                        fluency.emit("k.app", EventTime.fromEpoch(time, 0L), record);
                        expected.get(i % 2 == 0 ? "logs-2023111422" : "logs-2023111423")
                                .add((long) i);
                    }
                    fluency.flush();
                    assertThat(fluency.waitUntilAllBufferFlushed(60))
                            .as("every message acked")
                            .isTrue();
                } finally {
                    fluency.close();
                }
                for (Map.Entry<String, List<Long>> e : expected.entrySet()) {
                    List<Long> seqs = new ArrayList<>();
                    org.awaitility.Awaitility.await()
                            .atMost(java.time.Duration.ofSeconds(90))
                            .until(() -> {
                                seqs.clear();
                                try (StreamTail reader = new StreamTail(
                                        kinesis.tailOptions(e.getKey()).withRegion(REGION))) {
                                    for (TailRecord r : reader.readAll()) {
                                        seqs.add((Long)
                                                parse(new String(r.record().data(), StandardCharsets.UTF_8))
                                                        .get("seq"));
                                    }
                                }
                                return seqs.size() >= e.getValue().size();
                            });
                    assertThat(seqs)
                            .as("every record in %s", e.getKey())
                            .containsExactlyInAnyOrderElementsOf(e.getValue());
                }
            } finally {
                app.close();
            }
        }
    }

    /** A JSON object of strings, integers and objects (what the test sends). */
    private static Map<String, Object> parse(String json) throws IOException {
        try (JsonParser p = new JsonFactory().createParser(json)) {
            assertThat(p.nextToken()).isEqualTo(JsonToken.START_OBJECT);
            return object(p);
        }
    }

    private static Map<String, Object> object(JsonParser p) throws IOException {
        Map<String, Object> m = new LinkedHashMap<>();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken value = p.nextToken();
            m.put(
                    name,
                    switch (value) {
                        case START_OBJECT -> object(p);
                        case VALUE_NUMBER_INT -> p.getLongValue();
                        default -> p.getText();
                    });
        }
        return m;
    }
}
