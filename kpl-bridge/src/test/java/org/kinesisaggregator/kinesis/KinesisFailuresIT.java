package org.kinesisaggregator.kinesis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kinesisaggregator.buffer.InMemoryChunk;
import org.kinesisaggregator.kinesis.tail.StreamTail;
import org.kinesisaggregator.kinesis.tail.TailRecord;
import org.kinesisaggregator.kinesis.testing.FlushLoop;
import org.kinesisaggregator.kinesis.testing.Json;
import org.kinesisaggregator.kinesis.testing.LocalKinesis;
import org.kinesisaggregator.kinesis.testing.TestEvents;
import org.kinesisaggregator.kinesis.testing.TestSeed;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Failures, with the real KPL daemon and the emulator: Kinesis down for a while, the KPL daemon
 * killed, throttling. A flush loop ({@link FlushLoop}, buffer-store's contract) retries what the
 * output reports failed; afterwards every event must be in the stream. Duplicates are counted and
 * logged (delivery is at-least-once).
 */
class KinesisFailuresIT {
    private static final Logger log = LoggerFactory.getLogger(KinesisFailuresIT.class);

    @TempDir
    Path temp;

    @Test
    void kinesisOutageLosesNothing() throws Exception {
        long seed = TestSeed.create("KinesisFailuresIT.outage");
        try (LocalKinesis kinesis =
                LocalKinesis.start(LocalKinesis.options().dataDirectory(temp.resolve("kinesalite")))) {
            kinesis.createStream("outage", 2);
            SimpleMeterRegistry registry = new SimpleMeterRegistry();
            KinesisOutputSettings settings = kinesis.configure(
                            KinesisOutputSettings.builder(OutputType.KINESIS_PRODUCER, "outage"),
                            Map.of("record_ttl", "3000"))
                    .kplTempDirectory(temp.resolve("kpl"))
                    .build();
            List<InMemoryChunk> chunks = chunks(new Random(seed), 8, 5_000);

            try (ProducerPool pool = new ProducerPool();
                    KinesisOutput output = new KinesisOutput(settings, pool, new KinesisHealth(), registry)) {
                output.start();
                CompletableFuture<Void> gate = new CompletableFuture<>();
                CompletableFuture<List<FlushLoop.Outcome>> flushing = flushInBackground(output, chunks, gate);
                await("first chunk delivered")
                        .atMost(Duration.ofSeconds(60))
                        .until(() -> count(registry, "kinesis.user.records.put") >= 5_000);
                kinesis.stop();
                gate.complete(null);
                await("failures reported while Kinesis is down")
                        .atMost(Duration.ofSeconds(60))
                        .until(() -> count(registry, "kinesis.user.records.failed") > 0);
                kinesis.restart();
                List<FlushLoop.Outcome> outcomes = flushing.get(3, TimeUnit.MINUTES);
                assertThat(outcomes)
                        .allSatisfy(o -> assertThat(o.pending()).as("%s", o).isZero());
                log.info(
                        "Outage: {} events failed and were retried ({}), {} write attempts",
                        (long) count(registry, "kinesis.user.records.failed"),
                        failureCodes(registry),
                        outcomes.stream().mapToInt(FlushLoop.Outcome::attempts).sum());
            }
            assertEveryEventOnce(kinesis, "outage", 40_000, "outage");
        }
    }

    @Test
    void killedKplDaemonIsRestartedAndNothingIsLost() throws Exception {
        long seed = TestSeed.create("KinesisFailuresIT.daemon");
        try (LocalKinesis kinesis =
                LocalKinesis.start(LocalKinesis.options().dataDirectory(temp.resolve("kinesalite")))) {
            kinesis.createStream("daemon", 2);
            SimpleMeterRegistry registry = new SimpleMeterRegistry();
            KinesisHealth health = new KinesisHealth();
            KinesisOutputSettings settings = kinesis.configure(
                            KinesisOutputSettings.builder(OutputType.KINESIS_PRODUCER, "daemon"))
                    .kplTempDirectory(temp.resolve("kpl"))
                    .build();
            List<InMemoryChunk> chunks = chunks(new Random(seed), 8, 5_000);

            try (ProducerPool pool = new ProducerPool(registry, health);
                    KinesisOutput output = new KinesisOutput(settings, pool, health, registry)) {
                output.start();
                await("the KPL daemon's pid")
                        .atMost(Duration.ofSeconds(30))
                        .until(() -> pool.daemonPids().size() == 1);
                List<Long> before = pool.daemonPids();
                CompletableFuture<Void> gate = new CompletableFuture<>();
                CompletableFuture<List<FlushLoop.Outcome>> flushing = flushInBackground(output, chunks, gate);
                await("first chunk delivered")
                        .atMost(Duration.ofSeconds(60))
                        .until(() -> count(registry, "kinesis.user.records.put") >= 5_000);
                // Kinesis away, so that the next chunk's records are certainly inside the daemon when it dies.
                kinesis.stop();
                gate.complete(null);
                await("records in flight")
                        .atMost(Duration.ofSeconds(60))
                        .until(() -> registry.get("kinesis.kpl.outstanding.records")
                                        .gauge()
                                        .value()
                                > 0);
                ProcessHandle daemon = ProcessHandle.of(before.get(0)).orElseThrow();
                log.info(
                        "Killing KPL daemon pid {} ({})",
                        daemon.pid(),
                        daemon.info().command().orElse("?"));
                assertThat(daemon.destroyForcibly()).isTrue();
                await("the bridge notices")
                        .atMost(Duration.ofSeconds(60))
                        .until(() -> registry.get("kinesis.kpl.daemon.failures")
                                        .counter()
                                        .count()
                                > 0);
                await("a new daemon")
                        .atMost(Duration.ofSeconds(30))
                        .until(() -> !pool.daemonPids().isEmpty()
                                && !pool.daemonPids().contains(before.get(0)));
                kinesis.restart();
                List<FlushLoop.Outcome> outcomes = flushing.get(3, TimeUnit.MINUTES);
                assertThat(outcomes)
                        .allSatisfy(o -> assertThat(o.pending()).as("%s", o).isZero());
                assertThat(registry.get("kinesis.user.records.failed")
                                .tag("error", "DaemonFailure")
                                .counter()
                                .count())
                        .isPositive();
                assertThat(health.snapshot().producers())
                        .singleElement()
                        .satisfies(p -> assertThat(p.daemonFailures()).isPositive());
                log.info(
                        "Daemon kill: {} events failed and were retried ({}); health {}",
                        (long) count(registry, "kinesis.user.records.failed"),
                        failureCodes(registry),
                        health.toMap());
            }
            assertEveryEventOnce(kinesis, "daemon", 40_000, "daemon kill");
        }
    }

    @Test
    void throttledRecordsAreRetriedUntilDelivered() throws Exception {
        long seed = TestSeed.create("KinesisFailuresIT.throttling");
        try (LocalKinesis kinesis = LocalKinesis.start(LocalKinesis.options().failShare(0.3, seed))) {
            kinesis.createStream("throttled", 2);
            SimpleMeterRegistry registry = new SimpleMeterRegistry();
            // fail_if_throttled: KPL hands throttling back at once instead of retrying within record_ttl,
            // so the buffer's retry path is what delivers.
            KinesisOutputSettings settings = kinesis.configure(
                            KinesisOutputSettings.builder(OutputType.KINESIS_PRODUCER, "throttled"),
                            Map.of("fail_if_throttled", "true"))
                    .kplTempDirectory(temp.resolve("kpl"))
                    .build();
            List<InMemoryChunk> chunks = chunks(new Random(seed), 2, 10_000);

            try (ProducerPool pool = new ProducerPool();
                    KinesisOutput output = new KinesisOutput(settings, pool, new KinesisHealth(), registry)) {
                output.start();
                for (InMemoryChunk chunk : chunks) {
                    FlushLoop.Outcome outcome = FlushLoop.deliver(output, chunk, 100, Duration.ofMinutes(1));
                    assertThat(outcome.pending()).as("%s", outcome).isZero();
                    assertThat(outcome.attempts()).isGreaterThan(1);
                }
            }
            assertThat(registry.get("kinesis.user.records.failed")
                            .tag("error", "ProvisionedThroughputExceededException")
                            .counter()
                            .count())
                    .isPositive();
            assertEveryEventOnce(kinesis, "throttled", 20_000, "throttling");
        }
    }

    private static List<InMemoryChunk> chunks(Random random, int count, int eventsEach) {
        List<InMemoryChunk> chunks = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            chunks.add(TestEvents.chunk(
                    "c" + i,
                    "app",
                    TestEvents.records(random, (long) i * eventsEach, eventsEach, 200),
                    1_700_000_000L));
        }
        return chunks;
    }

    /**
     * One flush thread working through the chunks in order, retrying each until delivered; after the
     * first chunk it waits for {@code gate}, so that the test can break something between chunks.
     */
    private static CompletableFuture<List<FlushLoop.Outcome>> flushInBackground(
            KinesisOutput output, List<InMemoryChunk> chunks, CompletableFuture<Void> gate) {
        return CompletableFuture.supplyAsync(() -> {
            List<FlushLoop.Outcome> outcomes = new ArrayList<>();
            for (InMemoryChunk chunk : chunks) {
                try {
                    if (!outcomes.isEmpty()) {
                        gate.get(2, TimeUnit.MINUTES);
                    }
                    outcomes.add(FlushLoop.deliver(output, chunk, 200, Duration.ofMinutes(2)));
                } catch (Exception e) {
                    throw new IllegalStateException("flush of " + chunk.id() + " failed", e);
                }
            }
            return outcomes;
        });
    }

    private static double count(SimpleMeterRegistry registry, String name) {
        return registry.find(name).counters().stream()
                .mapToDouble(Counter::count)
                .sum();
    }

    private static Map<String, Double> failureCodes(SimpleMeterRegistry registry) {
        Map<String, Double> codes = new HashMap<>();
        registry.find("kinesis.user.records.failed")
                .counters()
                .forEach(c -> codes.merge(c.getId().getTag("error"), c.count(), Double::sum));
        return codes;
    }

    /** Every seq 0..expected-1 is in the stream; logs how many came twice. */
    private static void assertEveryEventOnce(LocalKinesis kinesis, String stream, int expected, String scenario) {
        List<TailRecord> read;
        try (StreamTail tail = new StreamTail(kinesis.tailOptions(stream))) {
            read = tail.readAll();
        }
        Map<Long, Integer> copies = new HashMap<>();
        for (TailRecord r : read) {
            copies.merge((Long) Json.parseObject(r.record().data()).get("seq"), 1, Integer::sum);
        }
        long missing = 0;
        for (long seq = 0; seq < expected; seq++) {
            if (!copies.containsKey(seq)) {
                missing++;
            }
        }
        long duplicates = read.size() - copies.size();
        log.info(
                "{}: {} events expected, {} read, {} distinct, {} missing, {} duplicates",
                scenario,
                expected,
                read.size(),
                copies.size(),
                missing,
                duplicates);
        assertThat(missing).as("events lost").isZero();
        assertThat(copies.size()).isEqualTo(expected);
    }
}
