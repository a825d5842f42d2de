package org.kinesisaggregator.buffer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kinesisaggregator.buffer.BufferSettings.BufferType;
import org.kinesisaggregator.buffer.BufferSettings.FlushMode;
import org.kinesisaggregator.buffer.internal.BufferEngine;
import org.kinesisaggregator.buffer.testing.Events;
import org.kinesisaggregator.buffer.testing.Fixture;
import org.kinesisaggregator.buffer.testing.RecordingOutput;

/** Start-up recovery of a buffer directory: torn tails, odd files, a missing or corrupt ledger. */
class RecoveryTest {
    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path dir;

    private final Fixture fx = new Fixture();
    private final RecordingOutput out = new RecordingOutput();

    @AfterEach
    void tearDown() {
        fx.close();
    }

    private Path buf() {
        return dir.resolve("buf");
    }

    private BufferSettings settings() {
        return Fixture.settings(BufferType.FILE, buf()).build();
    }

    private List<Path> chunkFiles() throws Exception {
        try (Stream<Path> s = Files.list(buf())) {
            return s.filter(p -> p.getFileName().toString().endsWith(".chunk"))
                    .sorted()
                    .collect(Collectors.toList());
        }
    }

    /** Appends {@code appends} x 5 events (ids from 0) into one staged chunk and closes the buffer. */
    private void stageAndClose(int appends) throws Exception {
        EventBuffer b = fx.start(settings(), out, null);
        for (int i = 0; i < appends; i++) {
            b.append("t", Events.entries(i * 5L, 5, 30), 5, null).get(10, TimeUnit.SECONDS);
        }
        fx.close();
        assertThat(chunkFiles()).hasSize(1);
    }

    /** Deletes the ledger's files (ledger.db and its write-ahead log). */
    private void deleteLedger() throws Exception {
        try (Stream<Path> s = Files.list(buf())) {
            for (Path p : s.filter(p -> p.getFileName().toString().startsWith("ledger.db"))
                    .collect(Collectors.toList())) {
                Files.delete(p);
            }
        }
    }

    private static List<Long> ids(long n) {
        return LongStream.range(0, n).boxed().collect(Collectors.toList());
    }

    @Test
    void stagedChunksAreQueuedAtStartAndDelivered() throws Exception {
        stageAndClose(3);
        EventBuffer b = fx.start(settings(), out, null);
        assertThat(b.stats().queuedChunks()).isEqualTo(1);
        await().atMost(WAIT).until(() -> out.delivered().size() == 15);
        assertThat(out.delivered()).isEqualTo(ids(15));
    }

    @Test
    void aTornTailIsCutAtTheLastGoodFrameAndCounted() throws Exception {
        stageAndClose(3);
        Path f = chunkFiles().get(0);
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
            ch.truncate(ch.size() - 7);
        }
        EventBuffer b = fx.start(settings(), out, null);
        await().atMost(WAIT).until(() -> out.delivered().size() == 10);
        assertThat(out.delivered()).isEqualTo(ids(10));
        assertThat(fx.counter("buffer.recovery.truncated.bytes")).isGreaterThan(0);
        await().atMost(WAIT).until(() -> b.stats().totalEvents() == 0);
    }

    @Test
    void aMissingLedgerIsRebuiltFromTheChunkFiles() throws Exception {
        stageAndClose(2);
        deleteLedger();
        fx.start(settings(), out, null);
        await().atMost(WAIT).until(() -> out.delivered().size() == 10);
        assertThat(out.delivered()).isEqualTo(ids(10));
    }

    @Test
    void aStreamedAppendLeftPrivateIsPublishedWhenTheLedgerIsLost() throws Exception {
        // a streamed append commits in the ledger, is acked, then its private file is renamed: a crash
        // between the two leaves it private; with the ledger gone nothing says whether it committed
        stageAndClose(2);
        Path chunk = chunkFiles().get(0);
        Files.move(chunk, chunk.resolveSibling(chunk.getFileName() + ".private"));
        deleteLedger();
        fx.start(settings(), out, null);
        await().atMost(WAIT).until(() -> out.delivered().size() == 10);
        assertThat(out.delivered()).isEqualTo(ids(10));
    }

    @Test
    void aCorruptLedgerIsMovedAsideAndRebuiltLosingNothing() throws Exception {
        // a chunk half delivered, so the ledger holds progress that the rebuild forgets
        out.setPolicy(events -> {
            BitSet first = new BitSet();
            events.stream().filter(e -> e.id() < 5).forEach(e -> first.set(e.index()));
            return WriteResult.partial(first, Map.of(), "later");
        });
        EventBuffer b = fx.start(
                Fixture.settings(BufferType.FILE, buf())
                        .flushMode(FlushMode.IMMEDIATE)
                        .build(),
                out,
                null);
        b.append("t", Events.entries(0, 10, 30), 10, null).get(10, TimeUnit.SECONDS);
        await().atMost(WAIT).until(() -> out.delivered().size() == 5);
        fx.close();
        Path ledger = buf().resolve("ledger.db");
        try (FileChannel ch = FileChannel.open(ledger, StandardOpenOption.WRITE)) {
            ByteBuffer junk = ByteBuffer.allocate((int) Math.min(4096, ch.size()));
            for (int i = 0; i < junk.capacity(); i++) {
                junk.put(i, (byte) (i * 31 + 7));
            }
            ch.write(junk, 0);
        }
        out.succeed();
        fx.start(settings(), out, null);
        await().atMost(WAIT).until(() -> out.delivered().size() == 15);
        // every event delivered; the first five twice (progress was lost with the ledger)
        assertThat(out.delivered().stream().distinct().sorted().collect(Collectors.toList()))
                .isEqualTo(ids(10));
        try (Stream<Path> s = Files.list(buf())) {
            assertThat(s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("ledger.corrupt-")))
                    .hasSize(1);
        }
    }

    @Test
    void aZeroLengthChunkFileHoldsNoEventsAndIsRemoved() throws Exception {
        Files.createDirectories(buf());
        Path empty = Files.createFile(buf().resolve("0000000000000001.chunk"));
        EventBuffer b = fx.start(settings(), out, null);
        assertThat(empty).doesNotExist();
        b.append("t", Events.entries(0, 2, 3), 2, null).get(10, TimeUnit.SECONDS);
        assertThat(b.stats().totalEvents()).isEqualTo(2);
    }

    @Test
    void aChunkFileWithAForeignHeaderIsMovedToFailedNotDeleted() throws Exception {
        Files.createDirectories(buf());
        Files.writeString(buf().resolve("0000000000000002.chunk"), "definitely not a chunk header, but some bytes");
        fx.start(settings(), out, null);
        assertThat(buf().resolve("failed").resolve("0000000000000002.chunk")).exists();
        assertThat(Files.readString(buf().resolve("failed").resolve("0000000000000002.reason")))
                .contains("magic");
    }

    @Test
    void progressSurvivesAHaltAndOnlyTheRestIsDelivered() throws Exception {
        out.setPolicy(events -> {
            BitSet some = new BitSet();
            events.stream().filter(e -> e.id() % 3 == 0).forEach(e -> some.set(e.index()));
            return WriteResult.partial(some, Map.of(), "throttled");
        });
        BufferSettings s = Fixture.settings(BufferType.FILE, buf())
                .flushMode(FlushMode.IMMEDIATE)
                .build();
        EventBuffer b = fx.start(s, out, null);
        b.append("t", Events.entries(0, 9, 30), 9, null).get(10, TimeUnit.SECONDS);
        await().atMost(WAIT).until(() -> out.delivered().size() == 3);
        // the output has answered; wait until the buffer has recorded (and persisted) that answer
        await().atMost(WAIT).until(() -> b.stats().retryCount() == 1);
        ((BufferEngine) b).halt();
        fx.close();
        out.succeed();
        EventBuffer b2 = fx.start(s, out, null);
        // the retry time (1 s after the failure) is in the ledger too
        assertThat(b2.stats().retryCount()).isEqualTo(1);
        fx.clock.advance(Duration.ofSeconds(1));
        await().atMost(WAIT).until(() -> out.delivered().size() == 9);
        assertThat(out.delivered()).containsExactly(0L, 3L, 6L, 1L, 2L, 4L, 5L, 7L, 8L);
    }
}
