package org.kinesisaggregator.buffer.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.assertj.core.api.InstanceOfAssertFactories;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.kinesisaggregator.buffer.AppendResult;
import org.kinesisaggregator.buffer.BufferException;
import org.kinesisaggregator.buffer.BufferSettings;
import org.kinesisaggregator.buffer.BufferSettings.AckDurability;
import org.kinesisaggregator.buffer.BufferSettings.BufferType;
import org.kinesisaggregator.buffer.BufferSettings.FlushMode;
import org.kinesisaggregator.buffer.internal.FaultyChunkChannels.Fault;
import org.kinesisaggregator.buffer.internal.store.ChunkChannels;
import org.kinesisaggregator.buffer.internal.store.FileChunkStore;
import org.kinesisaggregator.buffer.testing.Events;
import org.kinesisaggregator.buffer.testing.Fixture;
import org.kinesisaggregator.buffer.testing.RecordingOutput;

/**
 * A failed fsync is never retried and trusted (issue 12). Linux fails one fsync with EIO after a
 * failed writeback, drops the dirty pages, and may report success on the next one; the file is
 * then shorter than the writer thinks. The round's appends must be refused, the chunk sealed with
 * what was synced, later appends must go to a new chunk (not past a hole), and after a restart
 * every acked event is delivered and no refused one.
 */
class FsyncFailureTest {
    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path dir;

    private final Fixture fx = new Fixture();
    private final RecordingOutput out = new RecordingOutput();
    private final FaultyChunkChannels disk = new FaultyChunkChannels();
    private BufferEngine engine;

    @AfterEach
    void tearDown() {
        if (engine != null) {
            engine.close();
        }
    }

    private BufferSettings settings() {
        // chunks stay staged (flush_interval 1h): only a seal by the fsync failure queues one
        return Fixture.settings(BufferType.FILE, dir.resolve("buf"))
                .flushMode(FlushMode.INTERVAL)
                .flushInterval(Duration.ofHours(1))
                .flushAtShutdown(false)
                .build();
    }

    private void start(ChunkChannels channels) throws Exception {
        start(channels, AckDurability.FSYNC);
    }

    private void start(ChunkChannels channels, AckDurability durability) throws Exception {
        BufferSettings settings =
                settings().toBuilder().ackDurability(durability).build();
        engine = new BufferEngine(
                "test",
                settings,
                out,
                null,
                fx.clock,
                new SplittableRandom(1),
                new FileChunkStore(settings.path(), fx.clock, channels),
                fx.registry);
        engine.start();
    }

    private AppendResult append(long firstId, int count) throws Exception {
        return engine.append("t", Events.entries(firstId, count, 40), count, null)
                .get(10, TimeUnit.SECONDS);
    }

    /**
     * Closes the buffer, starts it again on a healthy disk, waits until it holds nothing, and checks
     * that exactly {@code expected} was delivered, each event once.
     */
    private void restartOnAHealthyDiskAndExpectDelivered(List<Long> expected, String what) throws Exception {
        engine.close();
        engine = null;
        start(ChunkChannels.DEFAULT);
        await().atMost(WAIT).until(() -> out.delivered().size() >= expected.size());
        await().atMost(WAIT).until(() -> engine.stats().totalEvents() == 0);
        assertThat(out.delivered()).as(what).containsExactlyInAnyOrderElementsOf(expected);
    }

    private static List<Long> ids(long from, long to) {
        return LongStream.range(from, to).boxed().toList();
    }

    private long chunkFiles() throws Exception {
        try (Stream<Path> s = Files.list(dir.resolve("buf"))) {
            return s.filter(p -> p.getFileName().toString().endsWith(".chunk")).count();
        }
    }

    @ParameterizedTest
    @EnumSource(
            value = Fault.class,
            names = {"FAIL", "DROP_AND_FAIL", "DROP_AND_SUCCEED"})
    void theRoundOfAFailedFsyncIsRefusedTheChunkSealedAndLaterAppendsGoToANewChunk(Fault fault) throws Exception {
        start(disk);
        List<Long> acked = new ArrayList<>();
        assertThat(append(0, 10)).isEqualTo(AppendResult.stored(10));
        acked.addAll(ids(0, 10));
        assertThat(append(10, 10)).isEqualTo(AppendResult.stored(10));
        acked.addAll(ids(10, 20));

        disk.arm(fault);
        assertThatThrownBy(() -> append(20, 10))
                .as("the append of the round whose fsync failed (%s) gets no ack", fault)
                .isInstanceOf(ExecutionException.class)
                .hasCauseInstanceOf(BufferException.class)
                .hasMessageContaining("nothing of it was stored");
        assertThat(disk.isArmed()).as("the fault was tripped").isFalse();
        assertThat(fx.counter("buffer.fsync.failures")).isEqualTo(1);
        assertThat(engine.healthProblems())
                .as("/health/ready says why while the disk refuses appends")
                .singleElement(InstanceOfAssertFactories.STRING)
                .contains("appends refused since");

        // later appends succeed, into a new chunk: not at the remembered offset past the shrunk file
        assertThat(append(30, 10)).isEqualTo(AppendResult.stored(10));
        acked.addAll(ids(30, 40));
        assertThat(engine.healthProblems())
                .as("healthy again once an append is stored")
                .isEmpty();
        assertThat(append(40, 10)).isEqualTo(AppendResult.stored(10));
        acked.addAll(ids(40, 50));
        await().atMost(WAIT).until(() -> out.delivered().containsAll(ids(0, 20)));
        assertThat(chunkFiles())
                .as("the sealed chunk was delivered; the new one is staged")
                .isEqualTo(1);
        // recovery queues the staged chunk
        restartOnAHealthyDiskAndExpectDelivered(acked, "every acked event delivered once, no refused one");
        assertThat(fx.counter("buffer.recovery.truncated.bytes")).isZero();
    }

    @Test
    void aFailedWriteOfTheRoundsGatheredAppendsRefusesThemAndTheChunkGoesOn() throws Exception {
        start(disk);
        List<Long> acked = new ArrayList<>();
        assertThat(append(0, 10)).isEqualTo(AppendResult.stored(10));
        acked.addAll(ids(0, 10));
        assertThat(append(10, 10)).isEqualTo(AppendResult.stored(10));
        acked.addAll(ids(10, 20));

        disk.armWriteFailure();
        assertThatThrownBy(() -> append(20, 10))
                .as("the append whose gathered write failed half way gets no ack")
                .isInstanceOf(ExecutionException.class)
                .hasCauseInstanceOf(BufferException.class)
                .hasMessageContaining("nothing of it was stored");
        assertThat(disk.isArmed()).as("the fault was tripped").isFalse();
        assertThat(engine.stats().totalEvents())
                .as("the refused events are not counted as held")
                .isEqualTo(20);

        assertThat(append(30, 10)).isEqualTo(AppendResult.stored(10));
        acked.addAll(ids(30, 40));
        assertThat(chunkFiles()).as("the same chunk goes on").isEqualTo(1);
        restartOnAHealthyDiskAndExpectDelivered(
                acked, "every acked event delivered once, no refused one, no torn bytes");
        assertThat(fx.counter("buffer.recovery.truncated.bytes")).isZero();
    }

    @ParameterizedTest
    @EnumSource(AckDurability.class)
    void aFailedWriteOfGatheredFramesBeforeABigFrameOfTheSameRoundRefusesTheRound(AckDurability durability)
            throws Exception {
        start(disk, durability);
        List<Long> acked = new ArrayList<>();
        assertThat(append(0, 10)).isEqualTo(AppendResult.stored(10));
        acked.addAll(ids(0, 10));
        long id = 10;
        int refused = 0;
        for (int round = 0; round < 5; round++) {
            disk.armWriteFailure();
            // a small append (gathered) and a big one (over 64 KiB: written at once, after the gathered
            // frames) sent together, so that they usually share a writer round
            long small = id;
            long big = id + 10;
            CompletableFuture<AppendResult> a = engine.append("t", Events.entries(small, 10, 40), 10, null);
            CompletableFuture<AppendResult> b = engine.append("t", Events.entries(big, 2_000, 40), 2_000, null);
            for (Object[] r : List.of(new Object[] {a, small, 10}, new Object[] {b, big, 2_000})) {
                @SuppressWarnings("unchecked")
                CompletableFuture<AppendResult> f = (CompletableFuture<AppendResult>) r[0];
                long first = (Long) r[1];
                int count = (Integer) r[2];
                try {
                    assertThat(f.get(10, TimeUnit.SECONDS)).isEqualTo(AppendResult.stored(count));
                    acked.addAll(ids(first, first + count));
                } catch (ExecutionException e) {
                    refused++;
                }
            }
            id += 2_010;
            assertThat(engine.stats().totalEvents())
                    .as("the events held are the acked ones")
                    .isEqualTo(acked.size());
        }
        assertThat(refused).as("each round's fault refused something").isGreaterThanOrEqualTo(5);
        restartOnAHealthyDiskAndExpectDelivered(acked, "every acked event delivered once, no refused one");
    }

    /**
     * Small appends of one round fill the chunk's write buffer, which is then written before the
     * round's next append is gathered: when that write fails, the appends gathered before it (whose
     * futures wait for the commit) are lost too, so the whole round is refused, not only the append
     * that found the buffer full.
     */
    @ParameterizedTest
    @EnumSource(AckDurability.class)
    void aFailedWriteOfAFullWriteBufferWithinTheRoundRefusesTheWholeRound(AckDurability durability) throws Exception {
        start(disk, durability);
        List<Long> acked = new ArrayList<>();
        assertThat(append(0, 10)).isEqualTo(AppendResult.stored(10));
        acked.addAll(ids(0, 10));
        long id = 10;
        int refused = 0;
        for (int round = 0; round < 5; round++) {
            disk.armWriteFailure();
            // 24 appends of ~10 KB sent together: they usually share a writer round, and the 64 KiB
            // write buffer is full after six of them
            List<CompletableFuture<AppendResult>> sent = new ArrayList<>();
            long first = id;
            for (int i = 0; i < 24; i++) {
                sent.add(engine.append("t", Events.entries(id, 10, 1_000), 10, null));
                id += 10;
            }
            for (int i = 0; i < sent.size(); i++) {
                try {
                    assertThat(sent.get(i).get(10, TimeUnit.SECONDS)).isEqualTo(AppendResult.stored(10));
                    acked.addAll(ids(first + i * 10L, first + i * 10L + 10));
                } catch (ExecutionException e) {
                    refused++;
                }
            }
            assertThat(engine.stats().totalEvents())
                    .as("the events held are the acked ones")
                    .isEqualTo(acked.size());
        }
        assertThat(refused).as("each round's fault refused something").isGreaterThanOrEqualTo(5);
        restartOnAHealthyDiskAndExpectDelivered(acked, "every acked event delivered once, no refused one");
        assertThat(fx.counter("buffer.recovery.truncated.bytes")).isZero();
    }

    @Test
    void aChunkFileFoundShorterBetweenRoundsTakesNoMoreAppends() throws Exception {
        start(ChunkChannels.DEFAULT);
        assertThat(append(0, 10)).isEqualTo(AppendResult.stored(10));
        Path chunk = onlyChunkFile();
        long endOfFirst = Files.size(chunk);
        assertThat(append(10, 10)).isEqualTo(AppendResult.stored(10));

        // the disk loses the second frame after it was synced and acked (nothing can bring it back)
        try (FileChannel ch = FileChannel.open(chunk, StandardOpenOption.WRITE)) {
            ch.truncate(endOfFirst);
        }
        // the writer finds the file shorter than it wrote: no append past the hole
        assertThatThrownBy(() -> append(20, 10))
                .isInstanceOf(ExecutionException.class)
                .hasCauseInstanceOf(BufferException.class)
                .hasMessageContaining("shorter than the");
        assertThat(Files.size(chunk)).isEqualTo(endOfFirst);
        assertThat(append(30, 10)).isEqualTo(AppendResult.stored(10));
        List<Long> expected = new ArrayList<>(ids(0, 10));
        expected.addAll(ids(30, 40));
        restartOnAHealthyDiskAndExpectDelivered(
                expected, "what the disk kept and the append after the refused one; not the refused one");
    }

    private Path onlyChunkFile() throws Exception {
        try (Stream<Path> s = Files.list(dir.resolve("buf"))) {
            List<Path> files =
                    s.filter(p -> p.getFileName().toString().endsWith(".chunk")).toList();
            assertThat(files).hasSize(1);
            return files.get(0);
        }
    }
}
