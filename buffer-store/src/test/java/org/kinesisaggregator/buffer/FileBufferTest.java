package org.kinesisaggregator.buffer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kinesisaggregator.buffer.BufferSettings.BufferType;
import org.kinesisaggregator.buffer.BufferSettings.FlushMode;
import org.kinesisaggregator.buffer.BufferSettings.OverflowAction;
import org.kinesisaggregator.buffer.file.ChunkRecovery;
import org.kinesisaggregator.buffer.internal.BufferEngine;
import org.kinesisaggregator.buffer.testing.Events;
import org.kinesisaggregator.buffer.testing.Fixture;
import org.kinesisaggregator.buffer.testing.RecordingOutput;
import org.slf4j.LoggerFactory;

/** The file buffer end to end: real files in a temp dir, a recording output, a manual clock. */
class FileBufferTest {
    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path dir;

    private final Fixture fx = new Fixture();
    private final RecordingOutput out = new RecordingOutput();

    @AfterEach
    void tearDown() {
        fx.close();
    }

    private BufferSettings.Builder settings() {
        return Fixture.settings(BufferType.FILE, dir.resolve("buf"));
    }

    private static AppendResult append(EventBuffer b, String tag, long firstId, int count, int pad) throws Exception {
        return b.append(tag, Events.entries(firstId, count, pad), count, null).get(10, TimeUnit.SECONDS);
    }

    private static List<Long> ids(long from, long toExclusive) {
        return LongStream.range(from, toExclusive).boxed().collect(Collectors.toList());
    }

    private List<Path> files(String glob) throws Exception {
        Path d = dir.resolve("buf");
        if (!Files.isDirectory(d)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(d)) {
            return s.filter(p ->
                            p.getFileSystem().getPathMatcher("glob:" + glob).matches(p.getFileName()))
                    .sorted()
                    .collect(Collectors.toList());
        }
    }

    private List<Path> failedChunks() throws Exception {
        Path d = dir.resolve("buf").resolve("failed");
        if (!Files.isDirectory(d)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(d)) {
            return s.filter(p -> p.toString().endsWith(".chunk")).sorted().collect(Collectors.toList());
        }
    }

    @Test
    void deliversAfterFlushIntervalAndPurgesTheChunk() throws Exception {
        EventBuffer b = fx.start(settings().build(), out, null);
        assertThat(append(b, "app.access", 0, 10, 20)).isEqualTo(AppendResult.stored(10));
        assertThat(b.stats().stagedChunks()).isEqualTo(1);
        assertThat(b.stats().totalEvents()).isEqualTo(10);
        assertThat(files("*.chunk")).hasSize(1);
        assertThat(out.writes()).isZero();
        fx.clock.advance(Duration.ofSeconds(60));
        await().atMost(WAIT).until(() -> out.delivered().size() == 10);
        assertThat(out.delivered()).isEqualTo(ids(0, 10));
        assertThat(out.tags()).containsOnly("app.access");
        await().atMost(WAIT)
                .until(() -> b.stats().totalEvents() == 0 && b.stats().queuedChunks() == 0);
        assertThat(files("*.chunk")).isEmpty();
        assertThat(fx.counter("buffer.fsyncs")).isGreaterThanOrEqualTo(1);
        assertThat(fx.counter("buffer.events.delivered")).isEqualTo(10);
    }

    @Test
    void theStartLineSaysWhatRecoveryFoundAndHowLongItTook() throws Exception {
        out.failAlways("down: keep the events buffered");
        EventBuffer b = fx.start(settings().build(), out, null);
        append(b, "t", 0, 10, 100);
        append(b, "u", 10, 5, 100);
        b.close();
        fx.close();
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        Logger engineLog = (Logger) LoggerFactory.getLogger(BufferEngine.class);
        logs.start();
        engineLog.addAppender(logs);
        try {
            fx.start(settings().build(), out, null);
        } finally {
            engineLog.detachAppender(logs);
        }
        assertThat(logs.list)
                .extracting(ILoggingEvent::getFormattedMessage)
                .filteredOn(m -> m.contains(" started ("))
                .singleElement()
                .asString()
                .containsPattern("\\d+ chunks, 15 events queued, \\d+ bytes; \\d+ dedup keys restored;"
                        + " recovery took \\d+ ms\\)");
    }

    @Test
    void immediateModeSealsEveryAppend() throws Exception {
        EventBuffer b = fx.start(settings().flushMode(FlushMode.IMMEDIATE).build(), out, null);
        for (int i = 0; i < 5; i++) {
            append(b, "t", i * 3L, 3, 10);
        }
        await().atMost(WAIT).until(() -> out.delivered().size() == 15);
        assertThat(out.delivered()).containsExactlyInAnyOrderElementsOf(ids(0, 15));
        assertThat(out.writes()).isEqualTo(5);
    }

    @Test
    void splitsAnAppendLargerThanTheChunkLimitAtEventBoundaries() throws Exception {
        int limit = 4096;
        EventBuffer b = fx.start(
                settings().chunkLimitBytes(limit).totalLimitBytes(1 << 20).build(), out, null);
        int eventBytes = Events.eventBytes(0, 100);
        append(b, "big", 0, 100, 100); // ~12 KiB
        assertThat(b.stats().queuedChunks()).isGreaterThanOrEqualTo((100 * eventBytes) / limit - 1);
        for (Path f : files("*.chunk")) {
            long size;
            try {
                size = Files.size(f);
            } catch (NoSuchFileException delivered) {
                // a sealed part is delivered (and its file deleted) as soon as it is queued
                continue;
            }
            assertThat(size).isLessThanOrEqualTo(28 + limit);
        }
        fx.clock.advance(Duration.ofSeconds(61));
        await().atMost(WAIT).until(() -> out.delivered().size() == 100);
        assertThat(out.delivered()).isEqualTo(ids(0, 100));
    }

    @Test
    void refusesOneEventLargerThanTheChunkLimitAndStoresNothing() throws Exception {
        EventBuffer b = fx.start(
                settings().chunkLimitBytes(1024).totalLimitBytes(1 << 20).build(), out, null);
        append(b, "t", 0, 1, 10);
        ByteBuffer e = Events.entries(1, 3, 10);
        ByteBuffer big = Events.entries(4, 1, 2000);
        ByteBuffer both = ByteBuffer.allocate(e.remaining() + big.remaining())
                .put(e)
                .put(big)
                .flip();
        assertThatThrownBy(() -> b.append("t", both, 4, null).get(10, TimeUnit.SECONDS))
                .hasCauseInstanceOf(EventTooLargeException.class)
                .hasMessageContaining("larger than chunk_limit_size 1024");
        assertThat(b.stats().totalEvents()).isEqualTo(1);
        fx.clock.advance(Duration.ofSeconds(61));
        await().atMost(WAIT).until(() -> out.delivered().size() == 1);
        assertThat(out.delivered()).containsExactly(0L);
    }

    @Test
    void sealsByChunkLimitRecords() throws Exception {
        EventBuffer b =
                fx.start(settings().chunkLimitRecords(5).chunkFullThreshold(1.0).build(), out, null);
        append(b, "t", 0, 12, 5);
        assertThat(b.stats().queuedChunks()).isEqualTo(2);
        assertThat(b.stats().stagedChunks()).isEqualTo(1);
        await().atMost(WAIT).until(() -> out.delivered().size() == 10);
        fx.clock.advance(Duration.ofSeconds(61));
        await().atMost(WAIT).until(() -> out.delivered().size() == 12);
        assertThat(out.delivered()).isEqualTo(ids(0, 12));
    }

    @Test
    void chunkKeysTagKeepsOneTagPerChunk() throws Exception {
        EventBuffer b =
                fx.start(settings().chunkKeys(BufferSettings.ChunkKeys.TAG).build(), out, null);
        AtomicInteger mixed = new AtomicInteger();
        out.setPolicy(events -> {
            if (events.stream().map(Events.Event::tag).distinct().count() > 1) {
                mixed.incrementAndGet();
            }
            return WriteResult.allDelivered();
        });
        append(b, "a", 0, 3, 5);
        append(b, "b", 3, 3, 5);
        append(b, "a", 6, 3, 5);
        assertThat(b.stats().stagedChunks()).isEqualTo(2);
        fx.clock.advance(Duration.ofSeconds(61));
        await().atMost(WAIT).until(() -> out.delivered().size() == 9);
        assertThat(mixed).hasValue(0);
        assertThat(out.writes()).isEqualTo(2);
    }

    @Test
    void dedupKeySeenWithinTheWindowIsAckedWithoutStoringTwiceEvenAfterRestart() throws Exception {
        BufferSettings s = settings().build();
        EventBuffer b = fx.start(s, out, null);
        byte[] key = "chunk-id-1".getBytes();
        assertThat(b.append("t", Events.entries(0, 4, 5), 4, key).get(10, TimeUnit.SECONDS))
                .isEqualTo(AppendResult.stored(4));
        assertThat(b.append("t", Events.entries(0, 4, 5), 4, key)
                        .get(10, TimeUnit.SECONDS)
                        .isDuplicate())
                .isTrue();
        assertThat(b.stats().totalEvents()).isEqualTo(4);
        b.close();
        fx.close();
        EventBuffer b2 = fx.start(s, out, null);
        assertThat(b2.append("t", Events.entries(0, 4, 5), 4, key)
                        .get(10, TimeUnit.SECONDS)
                        .isDuplicate())
                .isTrue();
        fx.clock.advance(Duration.ofMinutes(11));
        await().atMost(WAIT).until(() -> out.delivered().size() == 4);
        assertThat(b2.append("t", Events.entries(10, 4, 5), 4, key).get(10, TimeUnit.SECONDS))
                .isEqualTo(AppendResult.stored(4));
        assertThat(fx.counter("buffer.appends"))
                .as("stored + duplicate since the restart")
                .isEqualTo(2);
    }

    @Test
    void overflowThrowExceptionRefusesAndStoresNothing() throws Exception {
        out.failAlways("down");
        EventBuffer b = fx.start(
                settings()
                        .chunkLimitBytes(2048)
                        .totalLimitBytes(8192)
                        .overflowAction(OverflowAction.THROW_EXCEPTION)
                        .build(),
                out,
                null);
        int stored = 0;
        Throwable refused = null;
        for (int i = 0; i < 100 && refused == null; i++) {
            try {
                append(b, "t", i * 5L, 5, 50);
                stored += 5;
            } catch (ExecutionException e) {
                refused = e.getCause();
            }
        }
        assertThat(refused).isInstanceOf(BufferOverflowException.class).hasMessageContaining("is full");
        assertThat(b.stats().totalEvents()).isEqualTo(stored);
        assertThat(b.stats().totalBytes()).isLessThanOrEqualTo(8192);
    }

    @Test
    void overflowBlockCompletesTheAppendWhenRoomFrees() throws Exception {
        out.failAlways("down");
        EventBuffer b = fx.start(
                settings()
                        .chunkLimitBytes(2048)
                        .totalLimitBytes(4096)
                        .flushMode(FlushMode.IMMEDIATE)
                        .overflowAction(OverflowAction.BLOCK)
                        .build(),
                out,
                null);
        int n = 0;
        CompletableFuture<AppendResult> pending = null;
        for (int i = 0; i < 100; i++) {
            CompletableFuture<AppendResult> f = b.append("t", Events.entries(i * 5L, 5, 50), 5, null);
            try {
                f.get(2, TimeUnit.SECONDS);
                n += 5;
            } catch (TimeoutException e) {
                pending = f;
                break;
            }
        }
        assertThat(pending).as("an append blocked").isNotNull();
        assertThat(pending).isNotDone();
        out.succeed();
        fx.clock.advance(Duration.ofMinutes(10));
        assertThat(pending.get(20, TimeUnit.SECONDS).storedEvents()).isEqualTo(5);
        int total = n + 5;
        await().atMost(WAIT).until(() -> out.delivered().size() == total);
    }

    @Test
    void overflowDropOldestChunkMovesItToFailedDir() throws Exception {
        out.failAlways("down");
        EventBuffer b = fx.start(
                settings()
                        .chunkLimitBytes(2048)
                        .totalLimitBytes(4096)
                        .flushMode(FlushMode.IMMEDIATE)
                        .overflowAction(OverflowAction.DROP_OLDEST_CHUNK)
                        .build(),
                out,
                null);
        for (int i = 0; i < 20; i++) {
            append(b, "t", i * 5L, 5, 50);
        }
        assertThat(fx.counter("buffer.chunks.dropped")).isGreaterThan(0);
        assertThat(failedChunks()).isNotEmpty();
        Path reason = Path.of(failedChunks().get(0).toString().replace(".chunk", ".reason"));
        assertThat(Files.readString(reason)).contains("drop_oldest_chunk");
        // the dropped events are all in failed/, the rest in the buffer: nothing vanished
        long inFailed = 0;
        for (Path f : failedChunks()) {
            inFailed += ChunkRecovery.recover(f, false).eventCount();
        }
        assertThat(inFailed + b.stats().totalEvents()).isEqualTo(100);
    }

    @Test
    void aDroppedChunkThatCannotBeMovedToFailedDirStaysQueuedAndIsDeliveredLater() throws Exception {
        out.failAlways("down");
        EventBuffer b = fx.start(
                settings()
                        .chunkLimitBytes(2048)
                        .totalLimitBytes(4096)
                        .flushMode(FlushMode.IMMEDIATE)
                        .overflowAction(OverflowAction.DROP_OLDEST_CHUNK)
                        .build(),
                out,
                null);
        // a file where failed/ should be: every move to failed/ fails
        Files.writeString(dir.resolve("buf").resolve("failed"), "not a directory");
        List<Long> acked = new ArrayList<>();
        Throwable refused = null;
        for (int i = 0; i < 100 && refused == null; i++) {
            try {
                append(b, "t", i * 5L, 5, 50);
                acked.addAll(ids(i * 5L, i * 5L + 5));
            } catch (ExecutionException e) {
                refused = e.getCause();
            }
        }
        assertThat(refused).isInstanceOf(BufferOverflowException.class);
        assertThat(fx.counter("buffer.chunks.dropped"))
                .as("nothing was dropped")
                .isZero();
        // the chunk that could not be moved is still queued: the output recovers and delivers it
        out.succeed();
        await().atMost(WAIT).until(() -> {
            fx.clock.advance(Duration.ofMinutes(1));
            return out.delivered().containsAll(acked);
        });
        await().atMost(WAIT).until(() -> b.stats().totalEvents() == 0);
    }

    @Test
    void partialDeliveryRetriesOnlyTheRestAndSurvivesRestart() throws Exception {
        BufferSettings s = settings().flushMode(FlushMode.IMMEDIATE).build();
        out.setPolicy(events -> {
            BitSet even = new BitSet();
            events.stream().filter(e -> e.id() % 2 == 0).forEach(e -> even.set(e.index()));
            return WriteResult.partial(even, Map.of(), "odd ones throttled");
        });
        EventBuffer b = fx.start(s, out, null);
        append(b, "t", 0, 10, 5);
        await().atMost(WAIT).until(() -> out.delivered().size() == 5);
        assertThat(out.delivered()).containsExactly(0L, 2L, 4L, 6L, 8L);
        b.close();
        fx.close();
        out.succeed();
        EventBuffer b2 = fx.start(s, out, null);
        fx.clock.advance(Duration.ofSeconds(2));
        await().atMost(WAIT).until(() -> out.delivered().size() == 10);
        assertThat(out.delivered().subList(5, 10)).containsExactly(1L, 3L, 5L, 7L, 9L);
        await().atMost(WAIT).until(() -> b2.stats().totalEvents() == 0);
    }

    @Test
    void outputFailingForAWhileIsRetriedWithBackoffThenDelivers() throws Exception {
        AtomicInteger failuresLeft = new AtomicInteger(3);
        out.setPolicy(events ->
                failuresLeft.getAndDecrement() > 0 ? WriteResult.failed("throttled") : WriteResult.allDelivered());
        EventBuffer b = fx.start(settings().flushMode(FlushMode.IMMEDIATE).build(), out, null);
        append(b, "t", 0, 3, 5);
        await().atMost(WAIT).until(() -> out.writes() == 1);
        // backoff 1 s, 2 s, 4 s (retry_wait 1s, base 2, no randomize): each retry waits for the clock
        long[] waits = {1000, 2000, 4000};
        for (int i = 0; i < waits.length; i++) {
            int expected = i + 2;
            await().atMost(WAIT).until(() -> b.stats().retryCount() == expected - 1);
            fx.clock.advance(Duration.ofMillis(waits[i] - 1));
            await().during(Duration.ofMillis(100)).atMost(WAIT).until(() -> out.writes() == expected - 1);
            fx.clock.advance(Duration.ofMillis(1));
            await().atMost(WAIT).until(() -> out.writes() == expected);
        }
        await().atMost(WAIT).until(() -> out.delivered().size() == 3);
        assertThat(fx.counter("buffer.retries")).isEqualTo(3);
        assertThat(fx.counter("buffer.flush.failures")).isEqualTo(3);
        assertThat(fx.counter("buffer.flush.successes")).isEqualTo(1);
    }

    @Test
    void outputAlwaysFailingEndsInFailedDirWhenRetriesRunOut() throws Exception {
        out.failAlways("stream not found");
        EventBuffer b = fx.start(
                settings()
                        .flushMode(FlushMode.IMMEDIATE)
                        .retry(Fixture.retry(2, false))
                        .build(),
                out,
                null);
        append(b, "t", 0, 7, 5);
        for (int i = 0; i < 3; i++) {
            int failures = i + 1;
            // wait until the buffer recorded the failure (and its retry time) before moving the clock
            await().atMost(WAIT)
                    .until(() -> b.stats().retryCount() >= failures
                            || !failedChunks().isEmpty());
            fx.clock.advance(Duration.ofSeconds(10));
        }
        await().atMost(WAIT).until(() -> failedChunks().size() == 1);
        Path failed = failedChunks().get(0);
        assertThat(ChunkRecovery.recover(failed, false).eventCount()).isEqualTo(7);
        assertThat(Files.readString(Path.of(failed.toString().replace(".chunk", ".reason"))))
                .contains("retries exhausted")
                .contains("stream not found");
        await().atMost(WAIT).until(() -> b.stats().totalEvents() == 0);
        assertThat(files("*.chunk")).isEmpty();
        assertThat(fx.counter("buffer.chunks.failed")).isEqualTo(1);
    }

    @Test
    void outputAlwaysFailingGoesToTheSecondary() throws Exception {
        out.failAlways("down");
        RecordingOutput secondary = new RecordingOutput("secondary_file");
        EventBuffer b = fx.start(
                settings()
                        .flushMode(FlushMode.IMMEDIATE)
                        .retry(Fixture.retry(4, false))
                        .build(),
                out,
                secondary);
        append(b, "t", 0, 6, 5);
        // each round: wait until no write is in flight (the buffer has recorded every failure: retry count ==
        // writes so far), then let 20 s pass (more than any backoff here) and wait for one more write. Moving
        // the clock while a write is in flight would schedule its retry after the moved time, never reached.
        for (int i = 0; i < 10 && secondary.delivered().size() < 6; i++) {
            await().atMost(WAIT)
                    .until(() -> secondary.delivered().size() == 6
                            || b.stats().retryCount() == out.writes() + secondary.writes());
            if (secondary.delivered().size() == 6) {
                break;
            }
            int writes = out.writes() + secondary.writes();
            fx.clock.advance(Duration.ofSeconds(20));
            await().atMost(WAIT)
                    .until(() -> secondary.delivered().size() == 6 || out.writes() + secondary.writes() > writes);
        }
        await().atMost(WAIT).until(() -> secondary.delivered().size() == 6);
        assertThat(secondary.delivered()).isEqualTo(ids(0, 6));
        assertThat(out.delivered()).isEmpty();
        assertThat(failedChunks()).isEmpty();
    }

    @Test
    void rejectedEventsGoToFailedDirWithTheirReasonAndTheRestIsDelivered() throws Exception {
        out.setPolicy(events -> {
            BitSet ok = new BitSet();
            Map<Integer, String> rejected = new TreeMap<>();
            for (Events.Event e : events) {
                if (e.id() == 3) {
                    rejected.put(e.index(), "record over 1 MiB");
                } else {
                    ok.set(e.index());
                }
            }
            return WriteResult.partial(ok, rejected, null);
        });
        EventBuffer b = fx.start(settings().flushMode(FlushMode.IMMEDIATE).build(), out, null);
        append(b, "t", 0, 6, 5);
        await().atMost(WAIT).until(() -> b.stats().totalEvents() == 0);
        assertThat(out.delivered()).containsExactly(0L, 1L, 2L, 4L, 5L);
        assertThat(failedChunks()).hasSize(1);
        assertThat(ChunkRecovery.recover(failedChunks().get(0), false).eventCount())
                .isEqualTo(1);
        assertThat(Files.readString(Path.of(failedChunks().get(0).toString().replace(".chunk", ".reason"))))
                .contains("record over 1 MiB");
        assertThat(fx.counter("buffer.events.rejected")).isEqualTo(1);
    }

    @Test
    void streamedAppendIsInvisibleUntilCommitAndAbandonLeavesNothing() throws Exception {
        EventBuffer b = fx.start(
                settings()
                        .flushMode(FlushMode.IMMEDIATE)
                        .chunkLimitBytes(4096)
                        .totalLimitBytes(1 << 20)
                        .build(),
                out,
                null);
        StreamedAppend s = b.openStream("big");
        for (int i = 0; i < 10; i++) {
            s.write(Events.entries(i * 10L, 10, 50), 10).get(10, TimeUnit.SECONDS);
        }
        assertThat(files("*.chunk.private")).isNotEmpty();
        assertThat(out.writes()).isZero();
        assertThat(s.commit("k1".getBytes()).get(10, TimeUnit.SECONDS)).isEqualTo(AppendResult.stored(100));
        await().atMost(WAIT).until(() -> out.delivered().size() == 100);
        assertThat(out.delivered()).isEqualTo(ids(0, 100));

        StreamedAppend dropped = b.openStream("big");
        dropped.write(Events.entries(1000, 10, 50), 10).get(10, TimeUnit.SECONDS);
        dropped.abandon();
        dropped.abandon();
        await().atMost(WAIT).until(() -> files("*.chunk.private").isEmpty());
        StreamedAppend dup = b.openStream("big");
        for (int i = 0; i < 10; i++) {
            dup.write(Events.entries(i * 10L, 10, 50), 10).get(10, TimeUnit.SECONDS);
        }
        assertThat(dup.commit("k1".getBytes()).get(10, TimeUnit.SECONDS).isDuplicate())
                .as("a true re-send: same id, tag and pieces")
                .isTrue();
        await().atMost(WAIT).until(() -> b.stats().totalBytes() == 0);
        assertThat(out.delivered()).hasSize(100);
        assertThat(files("*.chunk*")).isEmpty();
    }

    @Test
    void streamedAppendCutByACrashIsNeverDelivered() throws Exception {
        BufferSettings s = settings().flushMode(FlushMode.IMMEDIATE).build();
        EventBuffer b = fx.start(s, out, null);
        StreamedAppend stream = b.openStream("big");
        stream.write(Events.entries(0, 10, 50), 10).get(10, TimeUnit.SECONDS);
        ((BufferEngine) b).halt();
        assertThat(files("*.chunk.private")).hasSize(1);
        fx.close();
        EventBuffer b2 = fx.start(s, out, null);
        assertThat(files("*.chunk.private")).isEmpty();
        append(b2, "t", 100, 1, 5);
        await().atMost(WAIT).until(() -> out.delivered().size() == 1);
        assertThat(out.delivered()).containsExactly(100L);
    }

    @Test
    void aSecondBufferOnTheSameDirectoryIsRefused() throws Exception {
        fx.start(settings().build(), out, null);
        EventBuffer second = Buffers.create("other", settings().build(), out, null, fx.clock, fx.registry);
        assertThatThrownBy(second::start)
                .isInstanceOf(BufferException.class)
                .hasMessageContaining("locked by another process");
        second.close();
    }

    @Test
    void anUnwritablePathFailsStartWithAClearMessage() throws Exception {
        Path file = Files.writeString(dir.resolve("not-a-dir"), "x");
        EventBuffer b = Buffers.create(
                "t", Fixture.settings(BufferType.FILE, file.resolve("buf")).build(), out, null, fx.clock, fx.registry);
        assertThatThrownBy(b::start)
                .isInstanceOf(BufferException.class)
                .hasMessageContaining("is not writable")
                .hasMessageContaining(file.resolve("buf").toString());
        b.close();
    }

    @Test
    void appendsBeforeStartAndAfterCloseAreRefused() throws Exception {
        EventBuffer b = Buffers.create("t", settings().build(), out, null, fx.clock, fx.registry);
        assertThatThrownBy(() -> b.append("t", Events.entries(0, 1, 1), 1, null).get(5, TimeUnit.SECONDS))
                .hasCauseInstanceOf(BufferException.class)
                .hasMessageContaining("not started");
        b.start();
        append(b, "t", 0, 1, 1);
        b.close();
        b.close();
        assertThatThrownBy(() -> b.append("t", Events.entries(0, 1, 1), 1, null).get(5, TimeUnit.SECONDS))
                .hasCauseInstanceOf(BufferException.class)
                .hasMessageContaining("closed");
    }

    @Test
    void rejectedEventsGoToTheSecondaryAsAChunkOfTheirOwn() throws Exception {
        out.setPolicy(events -> {
            BitSet ok = new BitSet();
            Map<Integer, String> rejected = new TreeMap<>();
            events.forEach(e -> {
                if (e.id() % 2 == 1) {
                    rejected.put(e.index(), "odd");
                } else {
                    ok.set(e.index());
                }
            });
            return WriteResult.partial(ok, rejected, null);
        });
        RecordingOutput secondary = new RecordingOutput("secondary_file");
        EventBuffer b = fx.start(settings().flushMode(FlushMode.IMMEDIATE).build(), out, secondary);
        append(b, "t", 0, 6, 5);
        await().atMost(WAIT).until(() -> b.stats().totalEvents() == 0);
        assertThat(out.delivered()).containsExactly(0L, 2L, 4L);
        assertThat(secondary.delivered()).containsExactly(1L, 3L, 5L);
        assertThat(secondary.writes()).isEqualTo(1);
        assertThat(failedChunks()).isEmpty();
    }

    @Test
    void lazyModeSealsOnlyFullChunksAndQueuedChunksLimitHoldsBackIntervalSealing() throws Exception {
        EventBuffer lazy = fx.start(settings().flushMode(FlushMode.LAZY).build(), out, null);
        append(lazy, "t", 0, 3, 5);
        fx.clock.advance(Duration.ofHours(1));
        await().during(Duration.ofMillis(200))
                .atMost(WAIT)
                .until(() -> lazy.stats().stagedChunks() == 1);
        assertThat(out.writes()).isZero();
        lazy.close();
        fx.close();

        out.failAlways("down");
        Path other = dir.resolve("limited");
        EventBuffer b = fx.start(
                Fixture.settings(BufferType.FILE, other)
                        .chunkKeys(BufferSettings.ChunkKeys.TAG)
                        .queuedChunksLimitCount(1)
                        .build(),
                out,
                null);
        append(b, "a", 0, 1, 5);
        append(b, "b", 1, 1, 5);
        fx.clock.advance(Duration.ofSeconds(61));
        await().atMost(WAIT).until(() -> b.stats().queuedChunks() == 1);
        await().during(Duration.ofMillis(200))
                .atMost(WAIT)
                .until(() -> b.stats().stagedChunks() == 1);
    }

    @Test
    void aWriteThatNeverCompletesTimesOutAndCloseIsBoundedLeavingTheChunkOnDisk() throws Exception {
        CompletableFuture<WriteResult> never = new CompletableFuture<>();
        AtomicInteger calls = new AtomicInteger();
        Output hanging = new Output() {
            @Override
            public String type() {
                return "hanging";
            }

            @Override
            public CompletableFuture<WriteResult> write(Chunk chunk) {
                calls.incrementAndGet();
                return never;
            }
        };
        BufferSettings s = settings()
                .flushMode(FlushMode.IMMEDIATE)
                .delayedCommitTimeout(Duration.ofMillis(200))
                .shutdownTimeout(Duration.ofSeconds(2))
                .build();
        EventBuffer b = fx.start(s, hanging, null);
        append(b, "t", 0, 4, 5);
        // the retry count is set with the retry time: only then may the clock move past it
        await().atMost(WAIT).until(() -> b.stats().retryCount() == 1);
        assertThat(fx.counter("buffer.flush.failures")).isEqualTo(1);
        fx.clock.advance(Duration.ofSeconds(2));
        await().atMost(WAIT).until(() -> calls.get() >= 2);
        long t0 = System.nanoTime();
        b.close();
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(10));
        assertThat(files("*.chunk")).hasSize(1);
        fx.close();
        EventBuffer b2 = fx.start(s, out, null);
        fx.clock.advance(Duration.ofSeconds(10));
        await().atMost(WAIT).until(() -> out.delivered().size() == 4);
        await().atMost(WAIT).until(() -> b2.stats().totalEvents() == 0);
    }

    @Test
    void aStreamedAppendLargerThanAChunkGoesToSeveralPrivateFilesAsItArrives() throws Exception {
        EventBuffer b = fx.start(
                settings()
                        .flushMode(FlushMode.IMMEDIATE)
                        .chunkLimitBytes(256 * 1024)
                        .totalLimitBytes(64L << 20)
                        .build(),
                out,
                null);
        StreamedAppend s = b.openStream("huge");
        int pieces = 40;
        int perPiece = 300; // ~200 bytes each: ~60 KiB per piece, ~2.4 MiB in all
        for (int i = 0; i < pieces; i++) {
            s.write(Events.entries((long) i * perPiece, perPiece, 150), perPiece)
                    .get(10, TimeUnit.SECONDS);
        }
        List<Path> privates = files("*.chunk.private");
        assertThat(privates.size())
                .as("private chunk files while the message arrives")
                .isGreaterThanOrEqualTo(8);
        for (Path p : privates) {
            assertThat(Files.size(p)).isLessThanOrEqualTo(28 + 256 * 1024);
        }
        assertThat(out.writes()).isZero();
        assertThat(s.commit(null).get(10, TimeUnit.SECONDS).storedEvents()).isEqualTo((long) pieces * perPiece);
        await().atMost(WAIT).until(() -> out.delivered().size() == pieces * perPiece);
        assertThat(out.delivered().stream().sorted().collect(Collectors.toList()))
                .isEqualTo(ids(0, pieces * perPiece));
        assertThat(files("*.chunk.private")).isEmpty();
    }
}
