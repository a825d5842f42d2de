package org.kinesisaggregator.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kinesisaggregator.kinesis.testing.Json;
import org.kinesisaggregator.kinesis.testing.LocalKinesis;
import org.kinesisaggregator.server.testing.ChildProcess;
import org.komamitsu.fluency.EventTime;
import org.komamitsu.fluency.Fluency;
import org.komamitsu.fluency.fluentd.FluencyBuilderForFluentd;

/**
 * The seed's whole pipeline on loopback (docs/pipeline.md): three fluency forwarders send
 * {@code app.access}, {@code app.photo} and {@code app.user} events (and a few {@code app.debug}) with
 * acks → the aggregator on the example's own conf ({@code examples/lambda-router/aggregator.conf},
 * pointed at the emulator) → kinesalite → the example's Lambda handler, fed GetRecords pages shaped as
 * Lambda's Kinesis events by {@code tools/replay-stream.js} → s3rver. Every event is in S3 exactly
 * once under its log type's prefix, with the tag and time the conf injects, also after retried
 * batches, and a full replay of the stream rewrites the same objects.
 */
class LambdaRouterIT {
    private static final String STREAM = "app-logs";
    private static final List<String> TYPES = List.of("access", "photo", "user");
    private static final int EVENTS_PER_TYPE = 800;
    private static final int UNMATCHED = 24;
    private static final long FIRST_SECOND = 1_780_000_000L;
    private static final Pattern KEY =
            Pattern.compile("^(access|photo|user|unmatched)/dt=\\d{4}-\\d{2}-\\d{2}/hour=\\d{2}/" + STREAM
                    + "-shardId-\\d{12}-\\d+\\.json\\.gz$");
    private static final DateTimeFormatter INJECTED_TIME =
            DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS").withZone(ZoneOffset.UTC);

    @TempDir
    Path dir;

    @Test
    void everyEventOfEveryLogTypeLandsInS3ExactlyOnceAlsoAfterRetriedBatchesAndAReplay() throws Exception {
        Path example = ChildProcess.projectRoot().resolve("examples/lambda-router");
        assertThat(example.resolve("node_modules/s3rver"))
                .as("examples/lambda-router/node_modules: run scripts/install-test-deps.sh")
                .exists();
        Map<String, List<Long>> expected = new TreeMap<>();
        try (LocalKinesis kinesis = LocalKinesis.start()) {
            kinesis.createStream(STREAM, 2);
            String conf = localConf(Files.readString(example.resolve("aggregator.conf")), kinesis);
            try (RunningAggregator app = RunningAggregator.start(dir.resolve("aggregator.conf"), conf)) {
                send(app.forwardPort(), expected);
                await("every event delivered to Kinesis")
                        .atMost(Duration.ofSeconds(90))
                        .pollInterval(Duration.ofMillis(100))
                        .until(() -> app.bufferedEvents() == 0);
            }

            // Lambda's poller: batches of 2 Kinesis records per shard; every 2nd batch invoked twice
            Path s3 = Files.createDirectories(dir.resolve("s3rver"));
            Map<String, Object> first = replay(example, kinesis, s3, dir.resolve("objects-1.jsonl"));
            assertThat((Long) first.get("failures")).as("failed batches").isZero();
            assertThat((Long) first.get("retried")).as("retried batches").isPositive();
            List<String> dump = Files.readAllLines(dir.resolve("objects-1.jsonl"), StandardCharsets.UTF_8);
            assertExactlyOnce(dump, expected);

            // a full replay from TRIM_HORIZON (same batch boundaries): the same objects, rewritten
            Map<String, Object> second = replay(example, kinesis, s3, dir.resolve("objects-2.jsonl"));
            assertThat(second.get("objects")).isEqualTo(first.get("objects"));
            assertThat(Files.readAllLines(dir.resolve("objects-2.jsonl"), StandardCharsets.UTF_8))
                    .containsExactlyElementsOf(dump);
        }
    }

    /** The example's conf on loopback: emulator endpoint and fake keys, ports 0, paths under dir. */
    private String localConf(String conf, LocalKinesis kinesis) {
        Map<String, String> edits = new LinkedHashMap<>();
        edits.put("root_dir /var/lib/kinesis-aggregator", "root_dir " + dir.resolve("root"));
        edits.put("drain_delay 30s", "drain_delay 0s");
        edits.put("bind 0.0.0.0\n  port 24224", "bind 127.0.0.1\n  port 0");
        edits.put("bind 0.0.0.0\n  port 24220", "bind 127.0.0.1\n  port 0");
        edits.put("kpl_temp_directory /var/lib/kinesis-aggregator/kpl", "kpl_temp_directory " + dir.resolve("kpl"));
        edits.put("path /var/lib/kinesis-aggregator/buffer", "path " + dir.resolve("buffer"));
        edits.put("  @id kinesis\n", """
                  @id kinesis
                  endpoint %s
                  ssl_verify_peer false
                  aws_key_id AKIDLOCALKINESIS
                  aws_sec_key local-kinesis-secret
                  <kinesis_producer>
                    metrics_level none
                    log_level error
                  </kinesis_producer>
                """.formatted(kinesis.endpoint()));
        String out = conf;
        for (Map.Entry<String, String> e : edits.entrySet()) {
            assertThat(out).as("examples/lambda-router/aggregator.conf").contains(e.getKey());
            out = out.replace(e.getKey(), e.getValue());
        }
        assertThat(out).contains("region " + LocalKinesis.REGION, "stream_name " + STREAM, "tag_key tag");
        return out;
    }

    /** Three forwarders, one per log type, plus a few events of a type no route names. */
    private static void send(int port, Map<String, List<Long>> expected) throws Exception {
        List<Fluency> forwarders = new ArrayList<>();
        try {
            for (int i = 0; i < TYPES.size(); i++) {
                FluencyBuilderForFluentd builder = new FluencyBuilderForFluentd();
                builder.setAckResponseMode(true);
                builder.setFlushAttemptIntervalMillis(100);
                forwarders.add(builder.build("127.0.0.1", port));
            }
            long seq = 0;
            for (int n = 0; n < EVENTS_PER_TYPE; n++) {
                for (int t = 0; t < TYPES.size(); t++) {
                    emit(forwarders.get(t), "app." + TYPES.get(t), seq, expected, TYPES.get(t));
                    seq++;
                }
                if (n < UNMATCHED) {
                    emit(forwarders.get(0), "app.debug", seq, expected, "unmatched");
                    seq++;
                }
            }
            for (Fluency f : forwarders) {
                f.flush();
                assertThat(f.waitUntilAllBufferFlushed(60))
                        .as("every event acked")
                        .isTrue();
            }
        } finally {
            for (Fluency f : forwarders) {
                f.close();
            }
        }
    }

    private static void emit(Fluency f, String tag, long seq, Map<String, List<Long>> expected, String prefix)
            throws Exception {
        Map<String, Object> record = new LinkedHashMap<>();
        record.put("seq", seq);
        record.put("path", "/" + prefix + "/" + seq + "?q=\"é\"");
        f.emit(tag, EventTime.fromEpoch(FIRST_SECOND + seq, 123_000_000L), record);
        expected.computeIfAbsent(prefix, k -> new ArrayList<>()).add(seq);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> replay(Path example, LocalKinesis kinesis, Path s3, Path dump) {
        ChildProcess.Result r = ChildProcess.run(
                List.of(
                        "node",
                        example.resolve("tools/replay-stream.js").toString(),
                        "--kinesis-endpoint",
                        kinesis.endpoint().toString(),
                        "--insecure",
                        "--stream",
                        STREAM,
                        "--s3rver-dir",
                        s3.toString(),
                        "--bucket",
                        "logs",
                        "--batch-size",
                        "2",
                        "--retry-every",
                        "2",
                        "--dump",
                        dump.toString()),
                180);
        assertThat(r.exitCode()).as("replay-stream.js; stderr:%n%s", r.stderr()).isZero();
        for (String line : r.stdout().split("\n")) {
            if (line.startsWith("{\"event\":\"done\"")) {
                return (Map<String, Object>) Json.parse(line.getBytes(StandardCharsets.UTF_8));
            }
        }
        throw new AssertionError("no summary line from replay-stream.js: " + r.stdout());
    }

    /** Each prefix holds exactly the events of its log type, each once, with the injected tag and time. */
    @SuppressWarnings("unchecked")
    private static void assertExactlyOnce(List<String> dump, Map<String, List<Long>> expected) {
        Map<String, List<Long>> found = new TreeMap<>();
        for (String objectLine : dump) {
            Map<String, Object> object = Json.parseObject(objectLine.getBytes(StandardCharsets.UTF_8));
            String key = (String) object.get("key");
            Matcher m = KEY.matcher(key);
            assertThat(m.matches()).as("object key %s", key).isTrue();
            String prefix = m.group(1);
            for (Object line : (List<Object>) object.get("lines")) {
                Map<String, Object> event = Json.parseObject(((String) line).getBytes(StandardCharsets.UTF_8));
                long seq = (Long) event.get("seq");
                String tag = (String) event.get("tag");
                assertThat(tag)
                        .as("tag of %s in %s", seq, key)
                        .isEqualTo(prefix.equals("unmatched") ? "app.debug" : "app." + prefix);
                assertThat(event.get("time"))
                        .as("time of %s", seq)
                        .isEqualTo(INJECTED_TIME.format(Instant.ofEpochSecond(FIRST_SECOND + seq, 123_000_000L)));
                assertThat(event.get("path")).isEqualTo("/" + prefix + "/" + seq + "?q=\"é\"");
                found.computeIfAbsent(prefix, k -> new ArrayList<>()).add(seq);
            }
        }
        found.values().forEach(l -> l.sort(null));
        assertThat(found.keySet()).containsExactly("access", "photo", "unmatched", "user");
        for (String prefix : expected.keySet()) {
            assertThat(found.get(prefix))
                    .as("events under %s/ (each exactly once)", prefix)
                    .containsExactlyElementsOf(expected.get(prefix));
        }
    }
}
