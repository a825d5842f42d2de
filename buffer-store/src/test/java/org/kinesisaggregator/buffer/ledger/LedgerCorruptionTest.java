package org.kinesisaggregator.buffer.ledger;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A page of the ledger file lost (zeroed, or left as it was before the last writes: what power loss
 * or a crash leaves when pages reach the disk out of order): the ledger opens and takes the updates a recovering buffer makes, moving a store MapDB finds
 * corrupt aside — at open (its consistency check, or reading it back) or at the first update that
 * trips over it — and starting an empty one. No exception leaves the ledger: one would stop the buffer.
 */
class LedgerCorruptionTest {
    private static final int TRIALS = 80;
    private static final int PAGE = 4096;

    @TempDir
    Path dir;

    private static ChunkRecord record(long id, ChunkState state, int events) {
        return new ChunkRecord(id, state, 1_700_000_000_000L, 1000L + events, events, 0, 0, 0, Progress.NONE);
    }

    @Test
    void aLostPageAnywhereNeverStopsTheLedger() throws Exception {
        long seed = Long.getLong("ledger.seed", System.nanoTime());
        System.out.println("LedgerCorruptionTest seed=" + seed + " (rerun with -Dledger.seed=" + seed + ")");
        Path base = dir.resolve("base");
        Files.createDirectories(base);
        MapDbLedger ledger = MapDbLedger.open(base, 1);
        // records put and removed one commit at a time, as a buffer does: free-space lists fill up
        for (long i = 0; i < 300; i++) {
            ledger.put(record(i, ChunkState.QUEUED, (int) i));
            ledger.commit();
        }
        for (long i = 0; i < 300; i += 2) {
            ledger.remove(i);
            ledger.commit();
        }
        ledger.close();
        byte[] original = Files.readAllBytes(base.resolve(MapDbLedger.FILE_NAME));
        List<Integer> used = new ArrayList<>();
        for (int page = 0; page < original.length; page += PAGE) {
            for (int i = page; i < Math.min(original.length, page + PAGE); i++) {
                if (original[i] != 0) {
                    used.add(page);
                    break;
                }
            }
        }
        Random random = new Random(seed);
        Map<String, Integer> escaped = new TreeMap<>();
        int replacedAtOpen = 0;
        int replacedAtUpdate = 0;
        for (int t = 0; t < TRIALS; t++) {
            Path d = dir.resolve("trial-" + t);
            Files.createDirectories(d);
            try (DirectoryStream<Path> files = Files.newDirectoryStream(base, MapDbLedger.FILE_NAME + "*")) {
                for (Path f : files) {
                    Files.copy(f, d.resolve(f.getFileName()));
                }
            }
            byte[] damaged = original.clone();
            int offset = used.get(random.nextInt(used.size()));
            // half the trials: the page is zeroed; else: a run of its bytes is (a torn write)
            int from = offset + (random.nextBoolean() ? 0 : random.nextInt(PAGE));
            int to = Math.min(damaged.length, random.nextBoolean() ? offset + PAGE : from + 1 + random.nextInt(64));
            java.util.Arrays.fill(damaged, from, Math.max(from, to), (byte) 0);
            Files.write(d.resolve(MapDbLedger.FILE_NAME), damaged);
            try {
                MapDbLedger opened = MapDbLedger.open(d, 2);
                try {
                    if (opened.wasRecreated()) {
                        replacedAtOpen++;
                    }
                    opened.chunks();
                    for (long i = 1000; i < 1100; i++) {
                        opened.put(record(i, ChunkState.QUEUED, 1));
                    }
                    for (long i = 1; i < 300; i += 2) {
                        opened.remove(i);
                    }
                    opened.commit();
                    if (opened.generation() > 0) {
                        // replaced by an empty store during the updates: as generation() asks of a
                        // caller, the records it holds are written again
                        replacedAtUpdate++;
                        for (long i = 1000; i < 1100; i++) {
                            opened.put(record(i, ChunkState.QUEUED, 1));
                        }
                        opened.commit();
                    }
                    assertThat(opened.chunks()).containsKey(1099L);
                } finally {
                    opened.close();
                }
            } catch (RuntimeException | java.io.IOException | AssertionError e) {
                escaped.merge(
                        "offset " + offset + ": " + e.getClass().getName() + ": "
                                + String.valueOf(e.getMessage()).split("\n")[0],
                        1,
                        Integer::sum);
            }
        }
        System.out.printf(
                "LedgerCorruptionTest: %d trials on %d used pages: %d replaced at open, %d at an update%n",
                TRIALS, used.size(), replacedAtOpen, replacedAtUpdate);
        assertThat(escaped).as("failures that left the ledger").isEmpty();
        assertThat(replacedAtOpen + replacedAtUpdate)
                .as("some flips damage the store")
                .isPositive();
    }
}
