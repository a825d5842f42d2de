package org.kinesisaggregator.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * kill -9 of the whole aggregator (the CLI as a child JVM) while two forwarders send with acks and
 * the file buffer ({@code ack_durability fsync}) flushes to a file output, at random moments
 * (seeded), several rounds on the same buffer directory; then a clean run delivers the rest and
 * stops on SIGTERM. Every acked event must be in the output, exactly as sent; duplicates and
 * sent-but-unacked events that arrived anyway are counted and printed.
 */
class AggregatorCrashIT {
    private static final int ROUNDS = 6;
    private static final int SENDERS = 2;

    @TempDir
    Path dir;

    @RegisterExtension
    final CrashRounds rounds = new CrashRounds();

    @Test
    void everyAckedEventReachesTheOutputAfterRepeatedKillMinus9OfTheAggregator() throws Exception {
        Random random = rounds.seeded("AggregatorCrashIT");
        long seed = rounds.seed();
        int port = AggregatorProcess.freePort();
        Path out = dir.resolve("out/events.log");
        Path conf = dir.resolve("crash.conf");
        Files.writeString(conf, """
        <system>
          shutdown_timeout 10s
        </system>
        <source>
          @type forward
          bind 127.0.0.1
          port %d
        </source>
        <source>
          @type monitor_agent
          bind 127.0.0.1
          port 0
        </source>
        <match crash.**>
          @type file
          @id delivered
          path %s
          append true
          <buffer>
            @type file
            path %s
            ack_durability fsync
            flush_mode interval
            flush_interval 0.3s
            chunk_limit_records 400
            flush_thread_count 2
            flush_thread_interval 0.05
            retry_wait 0.2s
          </buffer>
        </match>
        """.formatted(port, dir.resolve("out/events"), dir.resolve("buffer")));

        AckedSender sender = new AckedSender("127.0.0.1", port, 0);
        for (int round = 0; round < ROUNDS; round++) {
            // Where the kill lands: right after start-up (recovery done, the backlog being delivered), just
            // after the output grew (a flush wrote; its chunk may not be purged yet), or after some acks.
            int kind = random.nextInt(5);
            int killAfterAcks = kind == 0 ? 0 : 100 + random.nextInt(1200);
            long killAfterOutputBytes = kind == 1 ? 1 + random.nextInt(20_000) : -1;
            try (AggregatorProcess child = AggregatorProcess.start(conf, dir.resolve("round-" + round + ".log"))) {
                child.awaitReady();
                long ackedBefore = sender.acked().size();
                long outputBefore = size(out);
                AtomicBoolean sending = new AtomicBoolean(kind != 0);
                List<CompletableFuture<AckedSender.RunResult>> senders =
                        startSenders(sender, random, sending, Long.MAX_VALUE);
                String moment = kind == 0
                        ? "right after start-up"
                        : kind == 1
                                ? "after the output grew by " + killAfterOutputBytes + " bytes"
                                : "after " + killAfterAcks + " acks";
                await("round " + round + ": " + moment)
                        .atMost(Duration.ofSeconds(60))
                        .pollInterval(Duration.ofMillis(2))
                        .until(() -> (kind == 1
                                        ? size(out) - outputBefore >= killAfterOutputBytes
                                        : sender.acked().size() - ackedBefore >= killAfterAcks)
                                || !child.isAlive());
                assertThat(child.isAlive())
                        .as("aggregator alive in round %d; log:%n%s", round, child.log())
                        .isTrue();
                sending.set(false);
                child.kill();
                long failed = 0;
                for (CompletableFuture<AckedSender.RunResult> s : senders) {
                    failed += s.get(60, TimeUnit.SECONDS).failedBatches();
                }
                System.out.printf(
                        "AggregatorCrashIT round %d: kill -9 %s: %d acks in the round (%d acked, %d sent without"
                                + " ack so far, %d batches failed at the kill)%n",
                        round,
                        moment,
                        sender.acked().size() - ackedBefore,
                        sender.acked().size(),
                        sender.unacked().size(),
                        failed);
            }
        }

        // A clean run: recovery, more events, the buffer drains, SIGTERM.
        try (AggregatorProcess child = AggregatorProcess.start(conf, dir.resolve("final.log"))) {
            child.awaitReady();
            AtomicBoolean sending = new AtomicBoolean(true);
            long ackedBefore = sender.acked().size();
            for (CompletableFuture<AckedSender.RunResult> s : startSenders(sender, random, sending, 250)) {
                assertThat(s.get(60, TimeUnit.SECONDS).failedBatches())
                        .as("failed batches in the clean run")
                        .isZero();
            }
            assertThat(sender.acked().size() - ackedBefore).isEqualTo(SENDERS * 250);
            await("buffer drained")
                    .atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(100))
                    .until(() -> child.bufferedEvents() == 0);
            assertThat(child.terminate()).as("exit status after SIGTERM").isEqualTo(0);
        }

        List<Map.Entry<String, String>> records = new ArrayList<>();
        int malformed = 0;
        for (String line : Files.readString(out, StandardCharsets.UTF_8).split("\n", -1)) {
            String[] parts = line.split("\t", 3);
            if (parts.length == 3) {
                records.add(new AbstractMap.SimpleEntry<>(parts[1], parts[2]));
            } else if (!line.isEmpty()) {
                malformed++;
                System.out.println("AggregatorCrashIT malformed output line: " + line);
            }
        }
        Delivered.Report report = Delivered.compare(sender, records);
        System.out.printf(
                "AggregatorCrashIT (seed %d, %d kill -9 rounds): %s; %d malformed lines%n",
                seed, ROUNDS, report, malformed);
        assertThat(sender.failuresWhileRunning())
                .as("batches refused while the aggregator was up")
                .isZero();
        assertThat(report.acked()).isGreaterThan(SENDERS * 250);
        assertThat(report.wrong()).as("records that differ from what was sent").isEmpty();
        assertThat(report.missing())
                .as("acked events never delivered (seed %d)", seed)
                .isEmpty();
        assertThat(malformed).as("malformed output lines").isZero();
    }

    /** {@link #SENDERS} forwarders, each on its own connection with its own seeded batch sizes. */
    private List<CompletableFuture<AckedSender.RunResult>> startSenders(
            AckedSender sender, Random random, AtomicBoolean sending, long maxEvents) {
        List<CompletableFuture<AckedSender.RunResult>> futures = new ArrayList<>();
        for (int i = 0; i < SENDERS; i++) {
            Random own = new Random(random.nextLong());
            String tag = "crash.sender" + i;
            futures.add(rounds.async(() -> sender.run(tag, own, 40, maxEvents, sending::get)));
        }
        return futures;
    }

    private static long size(Path file) throws IOException {
        return Files.exists(file) ? Files.size(file) : 0;
    }
}
