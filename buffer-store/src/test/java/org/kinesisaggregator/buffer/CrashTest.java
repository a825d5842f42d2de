package org.kinesisaggregator.buffer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.kinesisaggregator.buffer.BufferSettings.AckDurability;
import org.kinesisaggregator.buffer.testing.FileRecordingOutput;

/**
 * kill -9 of a real child JVM that appends with acks and delivers at the same time, at random
 * moments, six rounds on one buffer directory; then a clean start delivers what is left. Every
 * acked event id must reach the output; duplicates are counted and printed.
 */
class CrashTest {
    private static final int ROUNDS = 6;

    @TempDir
    Path dir;

    /**
     * {@code write} too: a kill -9 keeps what write(2) put in the page cache, so every event acked
     * under {@code ack_durability write} must also survive (the ack waits for the round's write).
     */
    @ParameterizedTest
    @EnumSource(AckDurability.class)
    void everyAckedEventIsDeliveredAfterRepeatedKillMinus9(AckDurability durability) throws Exception {
        long seed = Long.getLong("crash.seed", System.nanoTime());
        System.out.println("CrashTest seed=" + seed + " (rerun with -Dcrash.seed=" + seed + ")");
        Random random = new Random(seed);
        Path buf = dir.resolve("buf");
        Path delivered = dir.resolve("delivered.ids");
        Set<Long> acked = new HashSet<>();
        Map<Long, String> kinds = new ConcurrentHashMap<>();
        int notDeduped = 0;
        for (int round = 0; round < ROUNDS; round++) {
            int killAfterAcks = 20 + random.nextInt(400);
            List<String> command = new ArrayList<>();
            command.add(ProcessHandle.current().info().command().orElse("java"));
            command.addAll(List.of(
                    "-Xmx256m",
                    "--add-opens",
                    "java.base/java.nio=ALL-UNNAMED",
                    "--add-opens",
                    "java.base/sun.nio.ch=ALL-UNNAMED",
                    "-cp",
                    System.getProperty("java.class.path"),
                    CrashChild.class.getName(),
                    buf.toString(),
                    delivered.toString(),
                    String.valueOf(round * 100_000_000L),
                    String.valueOf(seed + round),
                    durability.name()));
            Process child = new ProcessBuilder(command)
                    .redirectError(dir.resolve("child-" + round + ".err").toFile())
                    .start();
            AtomicInteger acks = new AtomicInteger();
            List<long[]> roundAcks = Collections.synchronizedList(new ArrayList<>());
            AtomicInteger roundNotDeduped = new AtomicInteger();
            Thread reader = new Thread(() -> {
                try (BufferedReader r =
                        new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = r.readLine()) != null) {
                        if (line.startsWith("ACK ")) {
                            String[] p = line.split(" ");
                            roundAcks.add(new long[] {Long.parseLong(p[1]), Long.parseLong(p[2]), p[3].hashCode()});
                            kinds.put(Long.parseLong(p[1]), p[3]);
                            acks.incrementAndGet();
                        } else if (line.startsWith("NOT-DEDUPED")) {
                            roundNotDeduped.incrementAndGet();
                        }
                    }
                } catch (IOException e) {
                    // the child was killed
                }
            });
            reader.start();
            await().atMost(Duration.ofSeconds(60)).until(() -> acks.get() >= killAfterAcks || !child.isAlive());
            Path childErr = dir.resolve("child-" + round + ".err");
            int r = round;
            assertThat(child.isAlive())
                    .as(() -> "child of round " + r + " alive; its stderr:\n" + readQuietly(childErr))
                    .isTrue();
            child.destroyForcibly(); // SIGKILL
            assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
            reader.join(TimeUnit.SECONDS.toMillis(30));
            synchronized (roundAcks) {
                for (long[] a : roundAcks) {
                    for (long id = a[0]; id < a[0] + a[1]; id++) {
                        acked.add(id);
                    }
                }
            }
            notDeduped += roundNotDeduped.get();
            System.out.printf(
                    "CrashTest round %d: killed after %d acks (%d events acked so far)%n",
                    round, acks.get(), acked.size());
        }
        // a clean start with a reliable output delivers the rest
        try (FileRecordingOutput output = new FileRecordingOutput(delivered, seed, 0.0)) {
            EventBuffer b = Buffers.create(
                    "crash", CrashChild.settings(buf), output, null, Clock.systemUTC(), new SimpleMeterRegistry());
            b.start();
            try {
                await().atMost(Duration.ofSeconds(60)).until(() -> b.stats().totalEvents() == 0);
            } finally {
                b.close();
            }
        }
        List<Long> deliveredIds = FileRecordingOutput.read(delivered);
        Set<Long> distinct = new HashSet<>(deliveredIds);
        TreeSet<Long> missing = new TreeSet<>(acked);
        missing.removeAll(distinct);
        int duplicates = deliveredIds.size() - distinct.size();
        System.out.printf(
                "CrashTest: %d events acked, %d delivered (%d distinct), %d duplicates, %d missing, "
                        + "%d re-sends not deduplicated%n",
                acked.size(), deliveredIds.size(), distinct.size(), duplicates, missing.size(), notDeduped);
        if (!missing.isEmpty()) {
            System.out.println("CrashTest missing (first 50): "
                    + missing.stream()
                            .limit(50)
                            .map(id -> {
                                Long first = kinds.keySet().stream()
                                        .filter(f -> f <= id)
                                        .max(Long::compare)
                                        .orElse(-1L);
                                return id + "(" + kinds.get(first) + " from " + first + ")";
                            })
                            .toList());
        }
        assertThat(acked).as("acked events").isNotEmpty();
        assertThat(missing).as("acked events never delivered (seed %d)", seed).isEmpty();
        assertThat(notDeduped)
                .as("re-sends within the dedup window stored again")
                .isZero();
    }

    private static String readQuietly(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            return "(unreadable: " + e + ")";
        }
    }
}
