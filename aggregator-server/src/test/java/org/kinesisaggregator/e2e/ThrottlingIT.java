package org.kinesisaggregator.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.kinesisaggregator.kinesis.testing.LocalKinesis;

/**
 * Kinesis throttles: the emulator fails 30% of PutRecords entries with
 * ProvisionedThroughputExceededException (not storing them, as Kinesis does). The whole path
 * in-process, forwarder with acks → file buffer → {@code kinesis_streams_aggregated} → KPL →
 * kinesalite. Every acked event must be in the stream exactly as sent; duplicates are counted.
 *
 * <p>Two ways the throttled records come back: KPL retrying them itself within {@code record_ttl}
 * (its default), or {@code fail_if_throttled true}, where KPL hands them back at once and the
 * buffer retries only the events of the failed aggregates (per-event progress).
 */
class ThrottlingIT {
    private static final String STREAM = "throttled";
    private static final int EVENTS = 3_000;
    private static final double FAIL_SHARE = 0.3;

    @TempDir
    Path dir;

    @ParameterizedTest(name = "fail_if_throttled {0}")
    @ValueSource(booleans = {false, true})
    void everyAckedEventArrivesWhileKinesisThrottles(boolean failIfThrottled) throws Exception {
        long seed = Long.getLong("throttling.seed", System.nanoTime());
        System.out.println("ThrottlingIT seed=" + seed + " (rerun with -Dthrottling.seed=" + seed + ")");
        Random random = new Random(seed);
        try (LocalKinesis kinesis = LocalKinesis.start(LocalKinesis.options().failShare(FAIL_SHARE, seed))) {
            kinesis.createStream(STREAM, 2);
            // 8 KiB aggregates: ~60 Kinesis records for the run, so that throttling surely hits some.
            String conf = RunningAggregator.kinesisConf(
                    dir,
                    kinesis,
                    "app.**",
                    STREAM,
                    "aggregation_max_size 8k",
                    "fail_if_throttled " + failIfThrottled,
                    """
              retry_wait 0.2s
              retry_max_interval 1s
              retry_forever true
              """);
            try (RunningAggregator app = RunningAggregator.start(dir.resolve("throttling.conf"), conf)) {
                AckedSender sender = new AckedSender("127.0.0.1", app.forwardPort(), 0);
                assertThat(sender.run("app.web", random, 50, EVENTS, () -> true).failedBatches())
                        .isZero();
                await("buffer drained")
                        .atMost(Duration.ofSeconds(90))
                        .pollInterval(Duration.ofMillis(100))
                        .until(() -> app.bufferedEvents() == 0);

                Delivered.Report report = Delivered.compare(sender, RunningAggregator.readStream(kinesis, STREAM));
                long throttledBack = (long) app.failedEvents("ProvisionedThroughputExceededException");
                System.out.printf(
                        "ThrottlingIT (fail_if_throttled %s, seed %d, %.0f%% of entries throttled): %s; %d events"
                                + " handed back throttled, %d buffer retries%n",
                        failIfThrottled, seed, FAIL_SHARE * 100, report, throttledBack, (long)
                                app.count("buffer.retries"));
                assertThat(report.wrong())
                        .as("records that differ from what was sent")
                        .isEmpty();
                assertThat(report.missing())
                        .as("acked events not in the stream")
                        .isEmpty();
                assertThat(report.distinct()).isEqualTo(EVENTS);
                if (failIfThrottled) {
                    assertThat(throttledBack).as("events handed back throttled").isPositive();
                    assertThat(app.count("buffer.retries")).as("buffer retries").isPositive();
                }
            }
        }
    }
}
