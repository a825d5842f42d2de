package org.kinesisaggregator.buffer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.BitSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.kinesisaggregator.buffer.BufferSettings.BufferType;
import org.kinesisaggregator.buffer.internal.BufferEngine;
import org.kinesisaggregator.buffer.testing.ChunkFiles;
import org.kinesisaggregator.buffer.testing.Events;
import org.kinesisaggregator.buffer.testing.Fixture;
import org.kinesisaggregator.buffer.testing.RecordingOutput;

/**
 * Model-based test (Vector disk_v2 tests/model shape): seeded random sequences of appends (some
 * with dedup keys, some re-sent), streamed appends, clock moves, output behaviour changes (deliver,
 * fail, partial, reject), crashes and clean restarts, checked against a model of what was acked,
 * refused, delivered and rejected.
 *
 * <p>Invariants: every acked event is delivered or in failed/; a refused append is never
 * delivered; a true re-send (same key, tag and entries) within the dedup window is not stored
 * again, a key reused with other events is stored; rejected events are in
 * failed/; without a crash no event is delivered twice; and at the end the buffer is empty.
 */
class BufferModelTest {
    private static final int STEPS = 160;

    /** What was appended under a dedup key: a true re-send repeats it exactly. */
    private record Sent(String tag, long first, int count, int pad) {}

    @TempDir
    Path dir;

    enum Mode {
        DELIVER,
        FAIL,
        PARTIAL,
        REJECT_SOME
    }

    @ParameterizedTest(name = "{0} seed={1} crashes={2}")
    @CsvSource({
        "FILE,   1, true",
        "FILE,   2, true",
        "FILE,   3, false",
        "MEMORY, 4, false",
        "MEMORY, 5, false",
    })
    void randomSequencesKeepTheInvariants(BufferType type, long seedBase, boolean crashes) throws Exception {
        long seed = Long.getLong("model.seed", seedBase * 1_000_003L);
        System.out.println("BufferModelTest " + type + " seed=" + seed);
        Random random = new Random(seed);
        Random outputRandom = new Random(seed + 1);
        Set<Long> acked = new HashSet<>();
        Set<Long> refused = new HashSet<>();
        Set<Long> rejected = ConcurrentHashMap.newKeySet();
        Map<String, Long> keysSeenAt = new HashMap<>();
        Map<String, Sent> keySent = new HashMap<>();
        Set<Long> storedTwice = new HashSet<>();
        // keys stored before the last restart: their chunk may have been delivered (and deleted) since, and
        // the window is rebuilt from the frames of the chunk files still held, so a re-send may be stored
        Set<String> keysBeforeRestart = new HashSet<>();
        boolean crashed = false;
        final Mode[] mode = {Mode.DELIVER};
        RecordingOutput out = new RecordingOutput();
        out.setPolicy(events -> {
            synchronized (outputRandom) {
                switch (mode[0]) {
                    case FAIL:
                        return WriteResult.failed("model: outage");
                    case PARTIAL: {
                        BitSet some = new BitSet();
                        events.forEach(e -> {
                            if (outputRandom.nextBoolean()) {
                                some.set(e.index());
                            }
                        });
                        return WriteResult.partial(some, Map.of(), "model: throttled");
                    }
                    case REJECT_SOME: {
                        BitSet ok = new BitSet();
                        Map<Integer, String> bad = new TreeMap<>();
                        for (Events.Event e : events) {
                            if (e.id() % 7 == 0) {
                                bad.put(e.index(), "model: too large");
                                rejected.add(e.id());
                            } else {
                                ok.set(e.index());
                            }
                        }
                        return WriteResult.partial(ok, bad, null);
                    }
                    default:
                        return WriteResult.allDelivered();
                }
            }
        });
        BufferSettings settings = Fixture.settings(type, dir.resolve("buf"))
                .chunkLimitBytes(4096)
                .chunkLimitRecords(random.nextBoolean() ? 0 : 25)
                .totalLimitBytes(48 * 1024)
                .flushInterval(Duration.ofSeconds(5))
                .flushThreadCount(1 + random.nextInt(2))
                .retry(new RetrySettings(
                        RetrySettings.RetryType.EXPONENTIAL_BACKOFF,
                        Duration.ofSeconds(1),
                        2.0,
                        Duration.ofSeconds(30),
                        false,
                        Duration.ofHours(72),
                        8,
                        false,
                        0.8))
                .build();
        Fixture fx = new Fixture();
        try {
            EventBuffer b = fx.start(settings, out, null);
            long nextId = 0;
            for (int step = 0; step < STEPS; step++) {
                int action = random.nextInt(100);
                if (action < 45) {
                    int count = 1 + random.nextInt(30);
                    long first = nextId;
                    nextId += count;
                    String tag = "tag." + random.nextInt(3);
                    int pad = random.nextInt(200);
                    String key = null;
                    boolean trueResend = false;
                    if (random.nextInt(4) == 0) {
                        if (!keysSeenAt.isEmpty() && random.nextBoolean()) {
                            key = keysSeenAt.keySet().stream()
                                    .sorted()
                                    .skip(random.nextInt(keysSeenAt.size()))
                                    .findFirst()
                                    .get();
                            if (random.nextBoolean()) {
                                // a true re-send: the same tag and entries as the append stored under the key
                                Sent original = keySent.get(key);
                                trueResend = true;
                                first = original.first();
                                count = original.count();
                                tag = original.tag();
                                pad = original.pad();
                            } // else: the key reused with other events, which must be stored
                        } else {
                            key = "key-" + first;
                        }
                    }
                    try {
                        AppendResult r = b.append(
                                        tag,
                                        Events.entries(first, count, pad),
                                        count,
                                        key == null ? null : key.getBytes())
                                .get(10, TimeUnit.SECONDS);
                        boolean withinWindow = trueResend
                                && fx.clock.millis() - keysSeenAt.get(key)
                                        < Duration.ofMinutes(10).toMillis();
                        boolean mayBeForgotten = withinWindow && keysBeforeRestart.contains(key);
                        if (!mayBeForgotten) {
                            assertThat(r.isDuplicate())
                                    .as(
                                            "seed %d step %d: %s of %s within the window",
                                            seed, step, trueResend ? "true re-send" : "append", key)
                                    .isEqualTo(withinWindow);
                        }
                        if (trueResend && (!withinWindow || (mayBeForgotten && !r.isDuplicate()))) {
                            // stored again after the window: those ids may now be delivered twice
                            for (long id = first; id < first + count; id++) {
                                storedTwice.add(id);
                            }
                        }
                        if (!r.isDuplicate()) {
                            for (long id = first; id < first + count; id++) {
                                acked.add(id);
                            }
                            if (key != null) {
                                keysBeforeRestart.remove(key);
                                keysSeenAt.put(key, fx.clock.millis());
                                keySent.put(key, new Sent(tag, first, count, pad));
                            }
                        }
                    } catch (ExecutionException e) {
                        assertThat(e.getCause()).isInstanceOf(BufferOverflowException.class);
                        for (long id = first; id < first + count; id++) {
                            refused.add(id);
                        }
                    }
                } else if (action < 50) {
                    int pieces = 1 + random.nextInt(4);
                    long first = nextId;
                    StreamedAppend s = b.openStream("stream");
                    boolean ok = true;
                    for (int p = 0; p < pieces && ok; p++) {
                        int count = 1 + random.nextInt(20);
                        try {
                            s.write(Events.entries(nextId, count, 100), count).get(10, TimeUnit.SECONDS);
                        } catch (ExecutionException e) {
                            ok = false;
                        }
                        nextId += count;
                    }
                    boolean commit = ok && random.nextInt(4) != 0;
                    if (commit) {
                        try {
                            s.commit(null).get(10, TimeUnit.SECONDS);
                            for (long id = first; id < nextId; id++) {
                                acked.add(id);
                            }
                        } catch (ExecutionException e) {
                            commit = false;
                        }
                    } else {
                        s.abandon();
                    }
                    if (!commit) {
                        for (long id = first; id < nextId; id++) {
                            refused.add(id);
                        }
                    }
                } else if (action < 70) {
                    fx.clock.advance(Duration.ofMillis(random.nextInt(40_000)));
                } else if (action < 82) {
                    synchronized (outputRandom) {
                        mode[0] = Mode.values()[random.nextInt(Mode.values().length)];
                    }
                } else if (action < 88 && type == BufferType.FILE) {
                    if (crashes && random.nextBoolean()) {
                        ((BufferEngine) b).halt();
                        crashed = true;
                    } else {
                        b.close();
                    }
                    fx.close();
                    keysBeforeRestart.addAll(keysSeenAt.keySet());
                    b = fx.start(settings, out, null);
                } else {
                    BufferStats s = b.stats();
                    assertThat(s.totalEvents())
                            .as("seed %d step %d", seed, step)
                            .isBetween(0L, (long) acked.size());
                    assertThat(s.totalBytes()).isBetween(0L, settings.totalLimitBytes());
                }
            }
            // drain: a healthy output and time passing deliver everything
            synchronized (outputRandom) {
                mode[0] = Mode.DELIVER;
            }
            EventBuffer last = b;
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                fx.clock.advance(Duration.ofMinutes(1));
                return last.stats().totalEvents() == 0;
            });
            List<Long> delivered = out.delivered();
            Set<Long> deliveredSet = new HashSet<>(delivered);
            Set<Long> inFailed =
                    new HashSet<>(ChunkFiles.idsIn(dir.resolve("buf").resolve("failed")));
            Set<Long> missing = new HashSet<>(acked);
            missing.removeAll(deliveredSet);
            missing.removeAll(inFailed);
            System.out.printf(
                    "BufferModelTest %s seed=%d: %d acked, %d refused, %d delivered (%d duplicates), "
                            + "%d rejected, %d in failed/%n",
                    type,
                    seed,
                    acked.size(),
                    refused.size(),
                    delivered.size(),
                    delivered.size() - deliveredSet.size(),
                    rejected.size(),
                    inFailed.size());
            assertThat(missing)
                    .as("seed %d: acked but neither delivered nor in failed/", seed)
                    .isEmpty();
            Set<Long> leaked = new HashSet<>(refused);
            leaked.retainAll(deliveredSet);
            leaked.removeAll(acked);
            assertThat(leaked)
                    .as("seed %d: refused or duplicate appends delivered", seed)
                    .isEmpty();
            Set<Long> rejectedNotFailed = new HashSet<>(rejected);
            rejectedNotFailed.removeAll(inFailed);
            rejectedNotFailed.removeAll(
                    deliveredSet); // a crash may replay a chunk whose rejects were already set aside
            if (!crashed) {
                assertThat(rejectedNotFailed)
                        .as("seed %d: rejected events not in failed/", seed)
                        .isEmpty();
                assertThat(delivered.stream().filter(id -> !storedTwice.contains(id)))
                        .as("seed %d: duplicates without a crash", seed)
                        .doesNotHaveDuplicates();
            }
            assertThat(acked).isNotEmpty();
        } finally {
            fx.close();
        }
    }
}
