package org.kinesisaggregator.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kinesisaggregator.kinesis.testing.LocalKinesis;

/**
 * Kinesis down for longer than {@code record_ttl} with {@code overflow_action block} and a small
 * {@code total_limit_size}: the buffer fills, the node stops reading from the forwarder's socket (TCP
 * back-pressure), and the forwarder waits for its ack instead of being refused. Once Kinesis is back the
 * buffer drains, the forwarder's waiting batch is acked and it goes on; every acked event is in the stream
 * exactly as sent.
 */
class OutageBackPressureIT {
    private static final String STREAM = "backpressure";
    private static final long TOTAL_LIMIT_BYTES = 256 * 1024;

    @TempDir
    Path dir;

    @Test
    void aFullBufferSlowsTheForwarderAndLosesNothing() throws Exception {
        long seed = Long.getLong("backpressure.seed", System.nanoTime());
        System.out.println("OutageBackPressureIT seed=" + seed + " (rerun with -Dbackpressure.seed=" + seed + ")");
        Random random = new Random(seed);
        try (LocalKinesis kinesis =
                LocalKinesis.start(LocalKinesis.options().dataDirectory(dir.resolve("kinesalite")))) {
            kinesis.createStream(STREAM, 1);
            String conf = RunningAggregator.kinesisConf(
                    dir, kinesis, "bp.**", STREAM, "stream_check_interval 1s", "record_ttl 3000", """
              chunk_limit_size 32k
              total_limit_size %d
              overflow_action block
              retry_type periodic
              retry_wait 0.5s
              retry_randomize false
              retry_forever true
              """.formatted(
                                    TOTAL_LIMIT_BYTES));
            try (RunningAggregator app = RunningAggregator.start(dir.resolve("bp.conf"), conf)) {
                AckedSender sender = new AckedSender("127.0.0.1", app.forwardPort(), 0);
                assertThat(sender.run("bp.before", random, 50, 500, () -> true).failedBatches())
                        .isZero();
                await("first batch delivered")
                        .atMost(Duration.ofSeconds(60))
                        .pollInterval(Duration.ofMillis(100))
                        .until(() -> app.bufferedEvents() == 0);

                kinesis.stop();
                AtomicBoolean keepGoing = new AtomicBoolean(true);
                // ~300 B per event: 4,000 events are several times what the buffer may hold
                CompletableFuture<AckedSender.RunResult> during = CompletableFuture.supplyAsync(
                        () -> sender.run("bp.during", new Random(seed + 1), 20, 4_000, keepGoing::get));

                await("buffer full")
                        .atMost(Duration.ofSeconds(60))
                        .pollInterval(Duration.ofMillis(100))
                        .until(() -> app.gauge("buffer.bytes") > TOTAL_LIMIT_BYTES * 0.75);
                // Full and Kinesis down: no more acks, yet the forwarder is not refused; it waits.
                long ackedWhenFull = sender.acked().size();
                await("KPL gives records back (Expired) and the buffer retries while full")
                        .atMost(Duration.ofSeconds(30))
                        .pollInterval(Duration.ofMillis(100))
                        .until(() -> app.failedEvents("Expired") > 0 && app.retryCount() > 0);
                long ackedWhileDown = sender.acked().size() - ackedWhenFull;
                assertThat(during)
                        .as("the forwarder is still waiting, not refused")
                        .isNotDone();
                assertThat(app.gauge("buffer.bytes"))
                        .as("the buffer never grows past total_limit_size (plus one chunk being written)")
                        .isLessThanOrEqualTo(TOTAL_LIMIT_BYTES + 32 * 1024);
                System.out.printf(
                        "OutageBackPressureIT: buffer %.0f bytes of %d, %d events acked after it filled, %d before%n",
                        app.gauge("buffer.bytes"), TOTAL_LIMIT_BYTES, ackedWhileDown, ackedWhenFull);

                kinesis.restart();
                AckedSender.RunResult result = during.get(120, TimeUnit.SECONDS);
                assertThat(result.failedBatches())
                        .as("batches refused or timed out: %s", result.lastError())
                        .isZero();
                await("buffer drained after Kinesis came back")
                        .atMost(Duration.ofSeconds(60))
                        .pollInterval(Duration.ofMillis(100))
                        .until(() -> app.bufferedEvents() == 0);

                Delivered.Report report = Delivered.compare(sender, RunningAggregator.readStream(kinesis, STREAM));
                System.out.printf("OutageBackPressureIT (seed %d): %s%n", seed, report);
                assertThat(report.wrong())
                        .as("records that differ from what was sent")
                        .isEmpty();
                assertThat(report.missing())
                        .as("acked events not in the stream")
                        .isEmpty();
                assertThat(report.distinct()).isEqualTo(500 + 4_000);
            }
        }
    }
}
