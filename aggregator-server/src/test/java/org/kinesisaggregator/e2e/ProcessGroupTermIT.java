package org.kinesisaggregator.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kinesisaggregator.kinesis.testing.LocalKinesis;

/**
 * Issue 8 finding 3: a SIGTERM to the aggregator's whole process group (systemd's default
 * {@code KillMode=control-group}, {@code kill -TERM -PGID}) reaches the KPL daemon too. With
 * {@code flush_at_shutdown true} the drain must still flush through it: the daemon runs in a
 * session of its own, so the JVM alone gets the signal. Outcome asserted: every acked event is in
 * the stream when the process has exited, without a restart, and no daemon failure was logged
 * (before the fix, part of the events stayed on disk behind a DaemonException).
 */
class ProcessGroupTermIT {
    private static final String STREAM = "group";

    @TempDir
    Path dir;

    @Test
    void aSigtermToTheWholeProcessGroupStillFlushesEverythingThroughKpl() throws Exception {
        try (LocalKinesis kinesis = LocalKinesis.start()) {
            kinesis.createStream(STREAM, 2);
            int port = AggregatorProcess.freePort();
            Path conf = dir.resolve("group.conf");
            // flush_interval 1h: the events are still staged at the SIGTERM, the drain has to send them all.
            Files.writeString(
                    conf,
                    RunningAggregator.kinesisConf(dir, port, kinesis, "group.**", STREAM, "", "", """
          flush_at_shutdown true
          """)
                            .replace("flush_interval 0.5s", "flush_interval 1h")
                            .replace("<system>", "<system>\n  shutdown_timeout 30s"));
            AckedSender sender = new AckedSender("127.0.0.1", port, 0);
            try (AggregatorProcess child = AggregatorProcess.startInOwnProcessGroup(conf, dir.resolve("group.log"))) {
                child.awaitReady();
                List<ProcessHandle> daemons = child.children();
                assertThat(daemons).as("KPL daemon").isNotEmpty();
                AckedSender.RunResult sent = sender.run("group.app", new Random(8), 20, 500, () -> true);
                assertThat(sent.failedBatches()).isZero();
                assertThat(sender.acked()).hasSize(500);
                assertThat(child.bufferedEvents()).as("staged, not yet sent").isEqualTo(500);

                child.signalGroup("TERM");

                assertThat(child.awaitExit(Duration.ofSeconds(90)))
                        .as("exit status after SIGTERM; log:%n%s", child.log())
                        .isEqualTo(0);
                assertThat(child.log())
                        .as("the drain's log")
                        .doesNotContain("DaemonException")
                        .doesNotContain("daemon failed")
                        .contains("0 chunks (0 events) left for the next start");
                assertThat(daemons.stream().noneMatch(ProcessHandle::isAlive))
                        .as("KPL daemon ended with the aggregator")
                        .isTrue();
            }
            Delivered.Report report = Delivered.compare(sender, RunningAggregator.readStream(kinesis, STREAM));
            System.out.println("ProcessGroupTermIT: " + report);
            assertThat(report.missing())
                    .as("acked events not in the stream after the group SIGTERM (no restart)")
                    .isEmpty();
            assertThat(report.wrong()).isEmpty();
        }
    }
}
