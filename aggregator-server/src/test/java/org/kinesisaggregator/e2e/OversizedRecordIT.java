package org.kinesisaggregator.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kinesisaggregator.buffer.file.ChunkRecovery;
import org.kinesisaggregator.kinesis.testing.LocalKinesis;
import org.komamitsu.fluency.EventTime;
import org.komamitsu.fluency.Fluency;
import org.komamitsu.fluency.fluentd.FluencyBuilderForFluentd;

/**
 * An event over Kinesis' 1 MiB record limit, sent by a real forwarder among ordinary ones: it is
 * acked (it is durable), never sent to Kinesis, and ends in the buffer's {@code failed/} directory
 * with a reason naming its size and the limit; every other event reaches the stream.
 */
class OversizedRecordIT {
    private static final int SMALL = 300;

    @TempDir
    Path dir;

    @Test
    void aTwoMebibyteEventGoesToFailedAndEverythingElseToTheStream() throws Exception {
        try (LocalKinesis kinesis = LocalKinesis.start()) {
            kinesis.createStream("logs", 1);
            try (RunningAggregator app = RunningAggregator.start(
                    dir.resolve("big.conf"),
                    RunningAggregator.kinesisConf(dir, kinesis, "app.**", "logs", "", "", ""))) {
                FluencyBuilderForFluentd builder = new FluencyBuilderForFluentd();
                builder.setAckResponseMode(true);
                builder.setFlushAttemptIntervalMillis(100);
                builder.setMaxBufferSize(64L * 1024 * 1024);
                builder.setBufferChunkRetentionSize(8 * 1024 * 1024);
                Fluency fluency = builder.build("127.0.0.1", app.forwardPort());
                try {
                    for (int i = 0; i < SMALL; i++) {
                        Map<String, Object> record = new LinkedHashMap<>();
                        record.put("seq", (long) i);
                        record.put("message", "small " + i);
                        fluency.emit("app.small", EventTime.fromEpoch(1_700_000_000L + i, 0), record);
                        if (i == SMALL / 2) {
                            fluency.emit(
                                    "app.big",
                                    EventTime.fromEpoch(1_700_000_000L, 7),
                                    Map.of("seq", -1L, "message", "x".repeat(2 * 1024 * 1024)));
                        }
                    }
                    fluency.flush();
                    assertThat(fluency.waitUntilAllBufferFlushed(60))
                            .as("every message acked")
                            .isTrue();
                } finally {
                    fluency.close();
                }

                await().atMost(Duration.ofSeconds(60)).until(() -> app.bufferedEvents() == 0);
                List<Map.Entry<String, String>> stream = RunningAggregator.readStream(kinesis, "logs");
                assertThat(stream).hasSize(SMALL);
                assertThat(stream)
                        .allSatisfy(r -> assertThat(r.getValue())
                                .contains("\"message\":\"small ")
                                .hasSizeLessThan(200));

                Path failed = dir.resolve("buffer/kinesis/failed");
                List<Path> chunks;
                try (Stream<Path> files = Files.list(failed)) {
                    chunks = files.filter(p -> p.toString().endsWith(".chunk")).toList();
                }
                assertThat(chunks).hasSize(1);
                assertThat(ChunkRecovery.recover(chunks.get(0), false).eventCount())
                        .isEqualTo(1);
                String reason =
                        Files.readString(Path.of(chunks.get(0).toString().replace(".chunk", ".reason")));
                assertThat(reason).contains("over the limit of 1048576 bytes").contains("kinesis");
                assertThat(Files.size(chunks.get(0))).isGreaterThan(2L * 1024 * 1024);
                assertThat(app.count("buffer.events.rejected")).isEqualTo(1);
            }
        }
    }
}
