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
import org.kinesisaggregator.kinesis.tail.KinesisRecord;
import org.kinesisaggregator.kinesis.tail.StreamTail;
import org.kinesisaggregator.kinesis.testing.LocalKinesis;
import org.kinesisaggregator.kinesis.testing.NodeDeaggregator;
import org.kinesisaggregator.server.ForwardServer;
import org.kinesisaggregator.server.app.Aggregator;
import org.kinesisaggregator.server.app.Plugins;
import org.komamitsu.fluency.EventTime;
import org.komamitsu.fluency.Fluency;
import org.komamitsu.fluency.fluentd.FluencyBuilderForFluentd;

/**
 * The seed's legacy {@code <match>} section (MISSION.md), pointed at the local emulator: a real
 * forward client (fluency, with acks) → the aggregator → file buffer → KPL daemon → kinesalite →
 * read back with {@code kinesis-aggregator tail} and with awslabs' aws-kinesis-agg.
 */
class SeedConfKinesisIT {
    private static final String STREAM = "YOUR_KINESIS_NAME";
    private static final String REGION = "ap-northeast-1";
    private static final int EVENTS = 4000;

    @TempDir
    Path dir;

    @Test
    void theSeedsSectionShipsEveryEventAggregatedAndAnyDeaggregatorReadsThemBack() throws Exception {
        try (LocalKinesis kinesis = LocalKinesis.start()) {
            kinesis.createStream(STREAM, 2);
            Path conf = dir.resolve("seed.conf");
            Files.writeString(conf, """
          <source>
            @type forward
            bind 127.0.0.1
            port 0
          </source>

          # The seed's section as the article prints it, plus where the local emulator is
          # (endpoint, fake keys, no certificate check) and a 1s flush instead of 15s.
          <match kinesis.**>
            type kinesis_producer
            region ap-northeast-1
            stream_name YOUR_KINESIS_NAME
            include_tag_key true
            buffer_type file
            buffer_chunk_limit 1m
            buffer_queue_limit 512
            buffer_path ${dir}/buffer/
            flush_interval 1s
            try_flush_interval 1
            queued_chunk_flush_interval 1
            num_threads 1
            detach_process 1

            endpoint ${endpoint}
            ssl_verify_peer false
            aws_key_id AKIDLOCALKINESIS
            aws_sec_key local-kinesis-secret
            <kinesis_producer>
              metrics_level none
              log_level error
            </kinesis_producer>
          </match>
          """.replace("${dir}", dir.toString())
                    .replace("${endpoint}", kinesis.endpoint().toString()));

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
            List<Map<String, Object>> expected = new ArrayList<>();
            app.start();
            try {
                int port = app.inputs(ForwardServer.class).get(0).localAddress().getPort();
                FluencyBuilderForFluentd builder = new FluencyBuilderForFluentd();
                builder.setAckResponseMode(true);
                builder.setFlushAttemptIntervalMillis(100);
                Fluency fluency = builder.build("127.0.0.1", port);
                try {
                    for (int i = 0; i < EVENTS; i++) {
                        // the article's log types, each its own tag
                        String tag =
                                "kinesis." + List.of("access", "photo", "user").get(i % 3);
                        Map<String, Object> record = new LinkedHashMap<>();
                        record.put("seq", (long) i);
                        record.put("path", "/photos/" + i + "?size=large&q=\"quoted\"");
                        record.put("status", 200L + i % 3);
                        fluency.emit(tag, EventTime.fromEpoch(1_700_000_000L + i, 500L), record);
                        Map<String, Object> out = new LinkedHashMap<>(record);
                        out.put("tag", tag);
                        expected.add(out);
                    }
                    fluency.flush();
                    assertThat(fluency.waitUntilAllBufferFlushed(60))
                            .as("every message acked")
                            .isTrue();
                } finally {
                    fluency.close();
                }

                // kinesis-aggregator tail, as a user runs it, until it has read every event
                ByteArrayOutputStream tailed = new ByteArrayOutputStream();
                ByteArrayOutputStream tailErr = new ByteArrayOutputStream();
                CompletableFuture<Integer> tail = CompletableFuture.supplyAsync(() -> Main.execute(
                        new String[] {
                            "tail",
                            "--stream",
                            STREAM,
                            "--endpoint",
                            kinesis.endpoint().toString(),
                            "--region",
                            REGION,
                            "--count",
                            String.valueOf(EVENTS),
                            "--fake-credentials"
                        },
                        Plugins.defaults(),
                        new PrintStream(tailed, true, StandardCharsets.UTF_8),
                        new PrintStream(tailErr, true, StandardCharsets.UTF_8)));
                assertThat(tail.get(120, TimeUnit.SECONDS))
                        .as("tail exit code; stderr: %s", tailErr)
                        .isEqualTo(Main.OK);
                List<Map<String, Object>> read = new ArrayList<>();
                for (String line : tailed.toString(StandardCharsets.UTF_8).split("\n")) {
                    read.add(parse(line));
                }
                assertThat(read).containsExactlyInAnyOrderElementsOf(expected);

                // aggregated: many events per Kinesis record; and awslabs' de-aggregator agrees on every byte
                List<KinesisRecord> records;
                try (StreamTail reader =
                        new StreamTail(kinesis.tailOptions(STREAM).withRegion(REGION))) {
                    records = reader.readAllKinesisRecords();
                }
                assertThat(records.size()).as("Kinesis records").isLessThan(EVENTS / 10);
                NodeDeaggregator.Output node = NodeDeaggregator.deaggregate(records);
                assertThat(node.errors()).isEmpty();
                List<Map<String, Object>> byNode = new ArrayList<>();
                for (NodeDeaggregator.Result r : node.userRecords()) {
                    byNode.add(parse(new String(r.data(), StandardCharsets.UTF_8)));
                }
                assertThat(byNode).containsExactlyInAnyOrderElementsOf(expected);
            } finally {
                app.close();
            }
        }
    }

    /** A flat JSON object of strings and integers (what the test sends). */
    private static Map<String, Object> parse(String json) throws IOException {
        Map<String, Object> m = new LinkedHashMap<>();
        try (JsonParser p = new JsonFactory().createParser(json)) {
            assertThat(p.nextToken()).isEqualTo(JsonToken.START_OBJECT);
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken value = p.nextToken();
                m.put(name, value == JsonToken.VALUE_NUMBER_INT ? (Object) p.getLongValue() : p.getText());
            }
        }
        return m;
    }
}
