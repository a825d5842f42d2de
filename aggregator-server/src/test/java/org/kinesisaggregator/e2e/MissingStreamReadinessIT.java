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
 * A conf pointing at a stream that does not exist: {@code /health/ready} answers 503 naming the
 * output and the stream (so the NLB stops sending this node traffic and an operator hears of it),
 * events that come anyway are acked and wait on disk, and creating the stream clears the problem —
 * also when no event flows, which is what an unready node behind an NLB gets.
 */
class MissingStreamReadinessIT {
    private static final int EVENTS = 500;
    private static final String READY = "{\"status\":\"ready\",\"problems\":[]}\n";

    @TempDir
    Path dir;

    @Test
    void aMissingStreamMakesTheNodeUnreadyItsEventsWaitOnDiskAndArriveOnceItIsCreated() throws Exception {
        long seed = Long.getLong("readiness.seed", System.nanoTime());
        System.out.println("MissingStreamReadinessIT seed=" + seed + " (rerun with -Dreadiness.seed=" + seed + ")");
        try (LocalKinesis kinesis = LocalKinesis.start();
                RunningAggregator app = start(kinesis, "late-logs")) {
            HttpResponse<String> ready = app.get("/health/ready");
            System.out.println("MissingStreamReadinessIT before the stream exists: " + ready.statusCode() + " "
                    + ready.body().trim());
            assertThat(ready.statusCode()).isEqualTo(503);
            assertThat(ready.body()).contains("output kinesis: stream late-logs not found in region us-east-1");

            AckedSender sender = new AckedSender("127.0.0.1", app.forwardPort(), 0);
            assertThat(sender.run("late.app", new Random(seed), 50, EVENTS, () -> true)
                            .failedBatches())
                    .as("batches refused while the stream is missing")
                    .isZero();
            await("events failed at once (stream known missing)")
                    .atMost(Duration.ofSeconds(30))
                    .until(() -> app.failedEvents("StreamNotFound") >= EVENTS);
            assertThat(app.bufferedEvents()).isEqualTo(EVENTS);
            assertThat(app.get("/health/ready").statusCode()).isEqualTo(503);

            kinesis.createStream("late-logs", 1);
            await("ready once the stream exists")
                    .atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(100))
                    .until(() -> app.get("/health/ready").statusCode() == 200);
            assertThat(app.get("/health/ready").body()).isEqualTo(READY);
            await("buffer drained")
                    .atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(100))
                    .until(() -> app.bufferedEvents() == 0);

            Delivered.Report report = Delivered.compare(sender, RunningAggregator.readStream(kinesis, "late-logs"));
            System.out.println("MissingStreamReadinessIT: " + report + "; " + (long) app.failedEvents("StreamNotFound")
                    + " events failed with StreamNotFound and were retried by the buffer");
            assertThat(report.wrong()).isEmpty();
            assertThat(report.missing()).isEmpty();
            assertThat(report.distinct()).isEqualTo(EVENTS);
        }
    }

    @Test
    void readinessComesBackWithoutAnyTrafficOnceTheStreamExists() throws Exception {
        try (LocalKinesis kinesis = LocalKinesis.start();
                RunningAggregator app = start(kinesis, "quiet-logs")) {
            HttpResponse<String> ready = app.get("/health/ready");
            assertThat(ready.statusCode()).isEqualTo(503);
            assertThat(ready.body()).contains("output kinesis: stream quiet-logs not found in region us-east-1");
            // An unready node behind an NLB gets no events, so nothing but the health checks can notice.
            kinesis.createStream("quiet-logs", 1);
            await("ready once the stream exists, without traffic")
                    .atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(200))
                    .until(() -> app.get("/health/ready").statusCode() == 200);
            assertThat(app.get("/health/ready").body()).isEqualTo(READY);
        }
    }

    private RunningAggregator start(LocalKinesis kinesis, String stream) throws Exception {
        return RunningAggregator.start(
                dir.resolve("readiness.conf"),
                RunningAggregator.kinesisConf(dir, kinesis, "late.**", stream, "stream_check_interval 1s", "", """
            retry_wait 0.5s
            retry_max_interval 2s
            retry_forever true
            """));
    }
}
