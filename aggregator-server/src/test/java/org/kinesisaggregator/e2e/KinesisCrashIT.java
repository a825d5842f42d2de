package org.kinesisaggregator.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.kinesisaggregator.kinesis.testing.LocalKinesis;

/**
 * The aggregator (the CLI as a child JVM) shipping to Kinesis through the KPL is killed with
 * {@code kill -9} at random moments (seeded) while a forwarder sends with acks; its KPL daemon must
 * not outlive it. Then a restart while Kinesis is down: SIGTERM must end the process (bounded) and
 * keep on disk what KPL could not deliver. A last clean run with Kinesis back delivers the rest.
 * Every acked event must be in the stream exactly as sent; duplicates are counted and printed.
 */
class KinesisCrashIT {
    private static final String STREAM = "crash";
    /** kill -9 rounds: 3 in CI; {@code -Dcrash.rounds=20} for the longer run docs/reliability.md records. */
    private static final int ROUNDS = Integer.getInteger("crash.rounds", 3);

    private static final int DURING_OUTAGE = 500;

    @TempDir
    Path dir;

    @RegisterExtension
    final CrashRounds rounds = new CrashRounds();

    @Test
    void everyAckedEventReachesTheStreamAfterKillMinus9AndARestartDuringAnOutage() throws Exception {
        Random random = rounds.seeded("KinesisCrashIT");
        long seed = rounds.seed();
        try (LocalKinesis kinesis =
                LocalKinesis.start(LocalKinesis.options().dataDirectory(dir.resolve("kinesalite")))) {
            kinesis.createStream(STREAM, 2);
            int port = AggregatorProcess.freePort();
            // record_ttl 3 s and close_timeout 3 s: during the outage KPL hands records back (Expired)
            // within the test's time, and a shutdown waits at most 3 s for records KPL cannot settle.
            Path conf = dir.resolve("crash.conf");
            Files.writeString(
                    conf,
                    RunningAggregator.kinesisConf(dir, port, kinesis, "crash.**", STREAM, """
          stream_check_interval 1s
          close_timeout 3s
          """, "record_ttl 3000", """
          retry_wait 0.5s
          retry_max_interval 1s
          retry_randomize false
          retry_forever true
          flush_thread_count 2
          """)
                            .replace("<system>", "<system>\n  shutdown_timeout 10s"));
            AckedSender sender = new AckedSender("127.0.0.1", port, 0);

            for (int round = 0; round < ROUNDS; round++) {
                int killAfterAcks = 200 + random.nextInt(1500);
                try (AggregatorProcess child = AggregatorProcess.start(conf, dir.resolve("round-" + round + ".log"))) {
                    child.awaitReady();
                    List<ProcessHandle> daemons = child.children();
                    assertThat(daemons).as("KPL daemon of round %d", round).isNotEmpty();
                    long ackedBefore = sender.acked().size();
                    AtomicBoolean sending = new AtomicBoolean(true);
                    CompletableFuture<AckedSender.RunResult> sending1 = send(sender, random, sending, Long.MAX_VALUE);
                    await("round " + round + ": " + killAfterAcks + " acks")
                            .atMost(Duration.ofSeconds(60))
                            .pollInterval(Duration.ofMillis(2))
                            .until(() -> sender.acked().size() - ackedBefore >= killAfterAcks || !child.isAlive());
                    assertThat(child.isAlive())
                            .as("aggregator alive in round %d; log:%n%s", round, child.log())
                            .isTrue();
                    sending.set(false);
                    child.kill();
                    sending1.get(60, TimeUnit.SECONDS);
                    await("KPL daemon " + daemons + " ends with the aggregator killed in round " + round)
                            .atMost(Duration.ofSeconds(30))
                            .until(() -> daemons.stream().noneMatch(ProcessHandle::isAlive));
                    System.out.printf(
                            "KinesisCrashIT round %d: kill -9 after %d acks in the round (%d acked, %d sent without"
                                    + " ack so far); KPL daemon %s gone%n",
                            round,
                            sender.acked().size() - ackedBefore,
                            sender.acked().size(),
                            sender.unacked().size(),
                            daemons.stream().map(ProcessHandle::pid).toList());
                }
            }

            // Kinesis down: a start, events acked from disk, KPL gives records back, then SIGTERM.
            kinesis.stop();
            try (AggregatorProcess child = AggregatorProcess.start(conf, dir.resolve("outage.log"))) {
                child.awaitReady();
                long ackedBefore = sender.acked().size();
                assertThat(send(sender, random, new AtomicBoolean(true), DURING_OUTAGE)
                                .get(60, TimeUnit.SECONDS)
                                .failedBatches())
                        .as("batches refused while Kinesis is down")
                        .isZero();
                assertThat(sender.acked().size() - ackedBefore).isEqualTo(DURING_OUTAGE);
                await("the buffer retries while Kinesis is down")
                        .atMost(Duration.ofSeconds(60))
                        .pollInterval(Duration.ofMillis(100))
                        .until(() -> child.retryCount() > 0);
                long held = child.bufferedEvents();
                List<ProcessHandle> daemons = child.children();
                long t0 = System.nanoTime();
                assertThat(child.terminate())
                        .as("exit status after SIGTERM during the outage")
                        .isEqualTo(0);
                System.out.printf(
                        "KinesisCrashIT: SIGTERM during the outage with %d events held: exited in %d ms%n",
                        held, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
                child.log()
                        .lines()
                        .filter(l -> l.contains("Shutdown: ")
                                || l.contains("left for the next start")
                                || l.contains("Closed in")
                                || l.contains("[ERROR]"))
                        .forEach(l -> System.out.println("  outage.log: " + l));
                await("KPL daemon ends with a clean shutdown")
                        .atMost(Duration.ofSeconds(30))
                        .until(() -> daemons.stream().noneMatch(ProcessHandle::isAlive));
                assertThat(held).as("events held during the outage").isGreaterThanOrEqualTo(DURING_OUTAGE);
            }

            // Kinesis back: a clean run delivers everything left.
            kinesis.restart();
            try (AggregatorProcess child = AggregatorProcess.start(conf, dir.resolve("final.log"))) {
                child.awaitReady();
                await("buffer drained")
                        .atMost(Duration.ofSeconds(60))
                        .pollInterval(Duration.ofMillis(100))
                        .until(() -> child.bufferedEvents() == 0);
                assertThat(child.terminate()).isEqualTo(0);
            }

            Delivered.Report report = Delivered.compare(sender, RunningAggregator.readStream(kinesis, STREAM));
            System.out.printf(
                    "KinesisCrashIT (seed %d, %d kill -9 rounds, a restart during an outage): %s%n",
                    seed, ROUNDS, report);
            assertThat(sender.failuresWhileRunning())
                    .as("batches refused while the aggregator was up")
                    .isZero();
            assertThat(report.wrong())
                    .as("records that differ from what was sent")
                    .isEmpty();
            assertThat(report.missing())
                    .as("acked events not in the stream (seed %d)", seed)
                    .isEmpty();
        }
    }

    private CompletableFuture<AckedSender.RunResult> send(
            AckedSender sender, Random random, AtomicBoolean sending, long maxEvents) {
        Random own = new Random(random.nextLong());
        return rounds.async(() -> sender.run("crash.app", own, 40, maxEvents, sending::get));
    }
}
