package org.kinesisaggregator.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kinesisaggregator.kinesis.testing.LocalKinesis;

/**
 * Kinesis down for a while, the whole path in-process: a forwarder with acks (fluency) → the
 * aggregator → file buffer → {@code kinesis_streams_aggregated} → KPL daemon → kinesalite with a
 * data directory (its streams survive its restart). Events sent while Kinesis is down are acked
 * (they are on disk), the buffer holds them and retries, and once Kinesis is back every acked event
 * is in the stream exactly as sent; duplicates are counted and printed; the buffer drains to zero.
 */
class KinesisOutageIT {
    private static final String STREAM = "outage";
    private static final int BEFORE = 1_500;
    private static final int DURING = 2_500;

    @TempDir
    Path dir;

    @Test
    void everyEventAckedWhileKinesisIsDownReachesTheStreamOnceItIsBack() throws Exception {
        long seed = Long.getLong("outage.seed", System.nanoTime());
        System.out.println("KinesisOutageIT seed=" + seed + " (rerun with -Doutage.seed=" + seed + ")");
        Random random = new Random(seed);
        try (LocalKinesis kinesis =
                LocalKinesis.start(LocalKinesis.options().dataDirectory(dir.resolve("kinesalite")))) {
            kinesis.createStream(STREAM, 2);
            // record_ttl 3 s: KPL gives up on a record after 3 s of failed attempts (Expired), so an outage
            // longer than that comes back to the buffer as failed events, which the buffer retries every
            // 0.5-1 s (retry_wait 0.5s, retry_max_interval 1s, no randomness): both within the test's time.
            String conf = RunningAggregator.kinesisConf(
                    dir, kinesis, "outage.**", STREAM, "stream_check_interval 1s", "record_ttl 3000", """
              retry_type exponential_backoff
              retry_wait 0.5s
              retry_max_interval 1s
              retry_randomize false
              retry_forever true
              flush_thread_count 2
              """);
            try (RunningAggregator app = RunningAggregator.start(dir.resolve("outage.conf"), conf)) {
                AckedSender sender = new AckedSender("127.0.0.1", app.forwardPort(), 0);

                // Kinesis up: the first batch goes through.
                assertThat(sender.run("outage.before", random, 50, BEFORE, () -> true)
                                .failedBatches())
                        .isZero();
                await("first batch delivered")
                        .atMost(Duration.ofSeconds(60))
                        .pollInterval(Duration.ofMillis(100))
                        .until(() -> app.bufferedEvents() == 0);

                // Kinesis down: the second batch is acked all the same (it is on disk) and stays in the buffer.
                kinesis.stop();
                assertThat(sender.run("outage.during", random, 50, DURING, () -> true)
                                .failedBatches())
                        .as("batches refused while Kinesis is down")
                        .isZero();
                assertThat(sender.acked()).hasSize(BEFORE + DURING);
                // The outage lasts until KPL has given back (Expired) at least as many records as the buffer
                // holds, and the buffer has retried.
                await("KPL gives the records back (Expired) and the buffer retries")
                        .atMost(Duration.ofSeconds(60))
                        .pollInterval(Duration.ofMillis(100))
                        .until(() -> app.failedEvents("Expired") >= DURING && app.retryCount() > 0);
                assertThat(app.bufferedEvents())
                        .as("events held while Kinesis is down")
                        .isEqualTo(DURING);
                // An outage is what the buffer is for: the node keeps taking events, so it stays ready.
                HttpResponse<String> ready = app.get("/health/ready");
                System.out.println("KinesisOutageIT during the outage: /health/ready " + ready.statusCode() + " "
                        + ready.body().trim() + "; buffer holds " + app.bufferedEvents() + " events, retry_count "
                        + app.retryCount());
                assertThat(ready.statusCode()).isEqualTo(200);

                // Kinesis back (same port, same data): the buffer drains.
                kinesis.restart();
                await("buffer drained after Kinesis came back")
                        .atMost(Duration.ofSeconds(60))
                        .pollInterval(Duration.ofMillis(100))
                        .until(() -> app.bufferedEvents() == 0);
                assertThat(app.get("/health/ready").statusCode()).isEqualTo(200);

                Delivered.Report report = Delivered.compare(sender, RunningAggregator.readStream(kinesis, STREAM));
                System.out.printf(
                        "KinesisOutageIT (seed %d): %d before, %d during the outage: %s; %d user records failed"
                                + " with Expired and were retried by the buffer%n",
                        seed, BEFORE, DURING, report, (long) app.failedEvents("Expired"));
                assertThat(report.wrong())
                        .as("records that differ from what was sent")
                        .isEmpty();
                assertThat(report.missing())
                        .as("acked events not in the stream")
                        .isEmpty();
                assertThat(report.distinct()).isEqualTo(BEFORE + DURING);
            }
        }
    }
}
