package org.kinesisaggregator.buffer.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kinesisaggregator.buffer.AppendResult;
import org.kinesisaggregator.buffer.BufferSettings;
import org.kinesisaggregator.buffer.BufferSettings.BufferType;
import org.kinesisaggregator.buffer.BufferSettings.FlushMode;
import org.kinesisaggregator.buffer.Chunk;
import org.kinesisaggregator.buffer.Output;
import org.kinesisaggregator.buffer.StreamedAppend;
import org.kinesisaggregator.buffer.WriteResult;
import org.kinesisaggregator.buffer.internal.store.FileChunkStore;
import org.kinesisaggregator.buffer.ledger.ChunkRecord;
import org.kinesisaggregator.buffer.ledger.MapDbLedger;
import org.kinesisaggregator.buffer.testing.Events;
import org.kinesisaggregator.buffer.testing.Fixture;
import org.kinesisaggregator.buffer.testing.RecordingOutput;
import org.slf4j.LoggerFactory;

/**
 * The ledger replaced by an empty one while the buffer runs, by the path a real failure takes: its
 * file is cut to nothing under the open store (as a file system that lost it would leave it), the
 * next update fails on it (an I/O error, not a full disk), and the reopen that follows fails too
 * ("File is empty"), so the store is moved aside and replaced. The buffer keeps taking and
 * delivering appends, records every chunk it holds in the new ledger at once, and after a restart
 * delivers every acked event not yet delivered exactly once, with no chunk taken for one the ledger
 * never knew. A chunk in delivery at the replacement is recorded by its flush thread when that lets
 * it go, here at close, its write cut short. The dedup keys only the ledger keeps (a streamed
 * append's) are written into the new ledger too, so a re-send after the restart is still known.
 */
class LedgerReplacementTest {
    private static final int CHUNKS = 5;
    private static final int EVENTS = 10;

    @TempDir
    Path dir;

    private final Fixture fx = new Fixture();
    private final RecordingOutput out = new RecordingOutput();
    private BufferEngine engine;

    @AfterEach
    void tearDown() {
        if (engine != null) {
            engine.close();
        }
    }

    @Test
    void aLedgerReplacedAtRunTimeListsEveryHeldChunkAgainAndARestartDeliversEachEventOnce() throws Exception {
        BufferSettings settings = Fixture.settings(BufferType.FILE, dir.resolve("buf"))
                .flushMode(FlushMode.IMMEDIATE)
                .build();
        // every write delivers the even events of a chunk and fails the odd ones: each chunk is held
        // with delivery progress and a retry count that only the ledger keeps across a restart
        out.setPolicy(LedgerReplacementTest::evensOnly);
        FileChunkStore files = new FileChunkStore(settings.path(), fx.clock);
        startEngine(settings, out, files);
        for (int c = 0; c < CHUNKS; c++) {
            assertThat(append(c)).isEqualTo(AppendResult.stored(EVENTS));
        }
        MapDbLedger ledger = (MapDbLedger) files.ledger();
        await().atMost(Duration.ofSeconds(20)).until(() -> heldWithProgress(ledger) == CHUNKS);

        truncateLedger(settings);

        // the buffer keeps running: appends are acked and delivered across the replacement
        assertThat(append(CHUNKS)).isEqualTo(AppendResult.stored(EVENTS));
        await().atMost(Duration.ofSeconds(20)).until(() -> ledger.generation() == 1);
        assertThat(append(CHUNKS + 1)).isEqualTo(AppendResult.stored(EVENTS));
        assertThat(corruptDirs(settings.path())).hasSize(1);
        // every held chunk is in the new ledger, with its progress and retry count, before any restart
        await().atMost(Duration.ofSeconds(20))
                .untilAsserted(() -> assertThat(heldWithProgress(ledger))
                        .as("chunks the new ledger lists with their progress")
                        .isEqualTo(CHUNKS + 2));
        engine.close();
        engine = null;

        restartAndDeliverEachEventOnce(settings, (CHUNKS + 2) * EVENTS);
    }

    @Test
    void aChunkInDeliveryAtTheReplacementIsRecordedByItsFlushThreadWhenItLetsItGo() throws Exception {
        BufferSettings settings = Fixture.settings(BufferType.FILE, dir.resolve("buf"))
                .flushMode(FlushMode.IMMEDIATE)
                .shutdownTimeout(Duration.ofSeconds(1))
                .build();
        out.setPolicy(LedgerReplacementTest::evensOnly);
        CountDownLatch hung = new CountDownLatch(1);
        boolean[] hang = {false};
        // once told to, a write never completes: its flush thread holds the chunk until close cuts it short
        Output hanging = new Output() {
            @Override
            public String type() {
                return "hanging";
            }

            @Override
            public CompletableFuture<WriteResult> write(Chunk chunk) {
                if (hang[0]) {
                    hung.countDown();
                    return new CompletableFuture<>();
                }
                return out.write(chunk);
            }
        };
        FileChunkStore files = new FileChunkStore(settings.path(), fx.clock);
        startEngine(settings, hanging, files);
        assertThat(append(0)).isEqualTo(AppendResult.stored(EVENTS));
        MapDbLedger ledger = (MapDbLedger) files.ledger();
        await().atMost(Duration.ofSeconds(20)).until(() -> heldWithProgress(ledger) == 1);
        hang[0] = true;
        fx.clock.advance(Duration.ofSeconds(5));
        assertThat(hung.await(20, TimeUnit.SECONDS))
                .as("the retry of chunk 0 is in flight")
                .isTrue();

        truncateLedger(settings);
        assertThat(append(1)).isEqualTo(AppendResult.stored(EVENTS));
        await().atMost(Duration.ofSeconds(20)).until(() -> ledger.generation() == 1);
        engine.close();
        engine = null;

        restartAndDeliverEachEventOnce(settings, 2 * EVENTS);
    }

    @Test
    void theLedgersDedupKeysAreWrittenIntoTheNewLedgerSoAReSendAfterARestartIsKnown() throws Exception {
        BufferSettings settings =
                Fixture.settings(BufferType.FILE, dir.resolve("buf")).build();
        FileChunkStore files = new FileChunkStore(settings.path(), fx.clock);
        startEngine(settings, out, files);
        byte[] id = "streamed-chunk-id".getBytes();
        assertThat(stream(id)).isEqualTo(AppendResult.stored(EVENTS));
        MapDbLedger ledger = (MapDbLedger) files.ledger();

        truncateLedger(settings);
        assertThat(append(1)).isEqualTo(AppendResult.stored(EVENTS));
        assertThat(ledger.generation()).isEqualTo(1);
        // the writer's next round writes the keys again
        assertThat(append(2)).isEqualTo(AppendResult.stored(EVENTS));
        await().atMost(Duration.ofSeconds(20)).until(() -> ledger.dedupKeys().size() == 1);
        engine.close();

        startEngine(settings, out, new FileChunkStore(settings.path(), fx.clock));
        assertThat(stream(id).isDuplicate()).as("the re-send after the restart").isTrue();
    }

    /** Starts {@link #engine} on {@code store}, delivering to {@code output}. */
    private void startEngine(BufferSettings settings, Output output, FileChunkStore store) throws Exception {
        engine =
                new BufferEngine("test", settings, output, null, fx.clock, new SplittableRandom(1), store, fx.registry);
        engine.start();
    }

    /** Cuts the open ledger's file to zero bytes: its next update fails, and so does its reopen. */
    private static void truncateLedger(BufferSettings settings) throws IOException {
        try (FileChannel ch =
                FileChannel.open(settings.path().resolve(MapDbLedger.FILE_NAME), StandardOpenOption.WRITE)) {
            ch.truncate(0);
        }
    }

    /** A streamed append of events 0..9 in two pieces, committed with {@code id}. */
    private AppendResult stream(byte[] id) throws Exception {
        StreamedAppend s = engine.openStream("big");
        s.write(Events.entries(0, EVENTS / 2, 50), EVENTS / 2).get(10, TimeUnit.SECONDS);
        s.write(Events.entries(EVENTS / 2, EVENTS / 2, 50), EVENTS / 2).get(10, TimeUnit.SECONDS);
        return s.commit(id).get(10, TimeUnit.SECONDS);
    }

    /** Restarts on {@code settings}' directory, delivering all; every event once, no chunk misjudged. */
    private void restartAndDeliverEachEventOnce(BufferSettings settings, long all) throws Exception {
        out.succeed();
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        Logger storeLog = (Logger) LoggerFactory.getLogger(FileChunkStore.class);
        logs.start();
        storeLog.addAppender(logs);
        try {
            startEngine(settings, out, new FileChunkStore(settings.path(), fx.clock));
        } finally {
            storeLog.detachAppender(logs);
        }
        fx.clock.advance(Duration.ofHours(1));
        await().atMost(Duration.ofSeconds(20)).until(() -> out.delivered().size() >= all);
        await().atMost(Duration.ofSeconds(20)).until(() -> engine.stats().totalBytes() == 0);
        List<Long> delivered = new ArrayList<>(out.delivered());
        delivered.sort(null);
        assertThat(delivered)
                .as("every acked event delivered once: none lost, none delivered again")
                .isEqualTo(LongStream.range(0, all).boxed().toList());
        assertThat(logs.list)
                .extracting(ILoggingEvent::getFormattedMessage)
                .as("no chunk misjudged at the restart")
                .noneMatch(m -> m.contains("is not in the ledger") || m.contains("its file is missing"));
    }

    /** Delivers the even events of a chunk and fails the odd ones. */
    private static WriteResult evensOnly(List<Events.Event> events) {
        BitSet evens = new BitSet();
        for (Events.Event e : events) {
            if (e.index() % 2 == 0) {
                evens.set(e.index());
            }
        }
        return WriteResult.partial(evens, Map.of(), "odd events held");
    }

    private AppendResult append(int chunk) throws Exception {
        return engine.append("t", Events.entries((long) chunk * EVENTS, EVENTS, 50), EVENTS, null)
                .get(10, TimeUnit.SECONDS);
    }

    /** Chunks the ledger lists as half delivered (the even events) after one failed write. */
    private static long heldWithProgress(MapDbLedger ledger) {
        return ledger.chunks().values().stream()
                .filter(r -> r.progress().doneCount() == EVENTS / 2 && r.retryCount() == 1)
                .map(ChunkRecord::chunkId)
                .count();
    }

    private static List<Path> corruptDirs(Path buf) throws Exception {
        List<Path> out = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(buf, "ledger.corrupt-*")) {
            s.forEach(out::add);
        }
        return out;
    }
}
