package org.kinesisaggregator.buffer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kinesisaggregator.buffer.BufferSettings.BufferType;
import org.kinesisaggregator.buffer.internal.BufferEngine;
import org.kinesisaggregator.buffer.ledger.MapDbLedger;
import org.kinesisaggregator.buffer.testing.Events;
import org.kinesisaggregator.buffer.testing.Fixture;
import org.kinesisaggregator.buffer.testing.RecordingOutput;

/**
 * Dedup of re-sends (issue 12 finding 2): only a true re-send, the same chunk id with the same tag
 * and the same entries, is acked without storing; anything else that reuses an id is stored. A
 * file buffer in a temp dir, a recording output, a manual clock.
 */
class DedupTest {
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final byte[] ID = "Y2h1bmstaWQtMDAwMDAx".getBytes(StandardCharsets.UTF_8);

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

    private static AppendResult append(EventBuffer b, String tag, long firstId, int count, byte[] id) throws Exception {
        return b.append(tag, Events.entries(firstId, count, 20), count, id).get(10, TimeUnit.SECONDS);
    }

    @Test
    void onlyATrueReSendIsDeduplicated() throws Exception {
        EventBuffer b = fx.start(settings().build(), out, null);
        assertThat(append(b, "app.a", 0, 3, ID)).isEqualTo(AppendResult.stored(3));
        assertThat(append(b, "app.b", 0, 3, ID)).as("same id, other tag").isEqualTo(AppendResult.stored(3));
        assertThat(append(b, "app.a", 100, 3, ID))
                .as("same id, same tag, other entries")
                .isEqualTo(AppendResult.stored(3));
        assertThat(append(b, "app.a", 0, 2, ID))
                .as("same id, same tag, fewer events")
                .isEqualTo(AppendResult.stored(2));
        assertThat(append(b, "app.a", 0, 3, ID).isDuplicate())
                .as("a true re-send")
                .isTrue();
        assertThat(append(b, "app.b", 0, 3, ID).isDuplicate())
                .as("a true re-send of the second one")
                .isTrue();
        assertThat(b.stats().totalEvents()).isEqualTo(11);
        assertThat(fx.counter("buffer.dedup.hits")).isEqualTo(2);
        fx.clock.advance(Duration.ofMinutes(2));
        await().atMost(WAIT).until(() -> out.delivered().size() == 11);
        assertThat(out.delivered()).containsExactlyInAnyOrder(0L, 1L, 2L, 0L, 1L, 2L, 100L, 101L, 102L, 0L, 1L);
    }

    @Test
    void anEmptyOrAbsentChunkIdNeverDedups() throws Exception {
        EventBuffer b = fx.start(settings().build(), out, null);
        for (int i = 0; i < 3; i++) {
            assertThat(append(b, "t", 0, 2, new byte[0])).isEqualTo(AppendResult.stored(2));
            assertThat(append(b, "t", 0, 2, null)).isEqualTo(AppendResult.stored(2));
        }
        StreamedAppend s = b.openStream("t");
        s.write(Events.entries(0, 2, 20), 2).get(10, TimeUnit.SECONDS);
        assertThat(s.commit(new byte[0]).get(10, TimeUnit.SECONDS)).isEqualTo(AppendResult.stored(2));
        // counted, not held: the streamed append's chunk is queued at once and may already be delivered
        assertThat(fx.counter("buffer.append.events")).isEqualTo(14);
        assertThat(fx.counter("buffer.dedup.hits")).isZero();
    }

    @Test
    void aReSendAfterARestartIsDeduplicatedFromTheFramesAndAnotherUseOfTheIdIsStored() throws Exception {
        BufferSettings s = settings().build();
        EventBuffer b = fx.start(s, out, null);
        assertThat(append(b, "t", 0, 4, ID)).isEqualTo(AppendResult.stored(4));
        b.close();
        fx.close();
        EventBuffer b2 = fx.start(s, out, null);
        assertThat(append(b2, "t", 0, 4, ID).isDuplicate()).isTrue();
        assertThat(append(b2, "t", 10, 4, ID)).isEqualTo(AppendResult.stored(4));
        assertThat(append(b2, "u", 0, 4, ID)).isEqualTo(AppendResult.stored(4));
        fx.clock.advance(Duration.ofMinutes(11));
        await().atMost(WAIT).until(() -> out.delivered().size() == 12);
        assertThat(append(b2, "t", 0, 4, ID)).as("outside dedup_window").isEqualTo(AppendResult.stored(4));
    }

    @Test
    void aReSendOfAMessageAckedBeforeAKillIsRecognisedFromTheFramesWithoutAnyKeyInTheLedger() throws Exception {
        BufferSettings s = settings().build();
        EventBuffer b = fx.start(s, out, null);
        assertThat(append(b, "t", 0, 4, ID)).isEqualTo(AppendResult.stored(4));
        fx.clock.advance(Duration.ofSeconds(30));
        assertThat(append(b, "t", 4, 1, "other".getBytes(StandardCharsets.UTF_8)))
                .isEqualTo(AppendResult.stored(1));
        ((BufferEngine) b).halt(); // kill -9: no clean close, no final ledger commit
        fx.close();
        try (MapDbLedger ledger = MapDbLedger.open(dir.resolve("buf"), fx.clock.millis())) {
            assertThat(ledger.dedupKeys()).as("the keys ride in the frames").isEmpty();
        }
        EventBuffer b2 = fx.start(s, out, null);
        assertThat(fx.registry.get("buffer.dedup.keys").gauge().value()).isEqualTo(2);
        assertThat(append(b2, "t", 0, 4, ID).isDuplicate()).as("the re-send").isTrue();
        assertThat(append(b2, "t", 4, 1, "other".getBytes(StandardCharsets.UTF_8))
                        .isDuplicate())
                .isTrue();
        assertThat(append(b2, "t", 0, 3, ID)).as("same chunk id, other entries").isEqualTo(AppendResult.stored(3));
        assertThat(append(b2, "u", 0, 4, ID)).as("same chunk id, other tag").isEqualTo(AppendResult.stored(4));
        assertThat(fx.counter("buffer.dedup.hits")).isEqualTo(2);
        fx.clock.advance(Duration.ofMinutes(2));
        await().atMost(WAIT).until(() -> out.delivered().size() == 12);
        assertThat(out.delivered()).containsExactlyInAnyOrder(0L, 1L, 2L, 3L, 4L, 0L, 1L, 2L, 0L, 1L, 2L, 3L);
    }

    @Test
    void anAppendSplitOverChunksKeepsItsKeyInTheLedgerAndIsRecognisedAfterAKill() throws Exception {
        BufferSettings s = settings().chunkLimitRecords(10).build();
        EventBuffer b = fx.start(s, out, null);
        assertThat(append(b, "t", 0, 25, ID)).isEqualTo(AppendResult.stored(25)); // three frames in three chunks
        ((BufferEngine) b).halt();
        fx.close();
        try (MapDbLedger ledger = MapDbLedger.open(dir.resolve("buf"), fx.clock.millis())) {
            assertThat(ledger.dedupKeys()).as("no frame holds the whole append").hasSize(1);
        }
        EventBuffer b2 = fx.start(s, out, null);
        assertThat(append(b2, "t", 0, 25, ID).isDuplicate()).isTrue();
        assertThat(append(b2, "t", 0, 24, ID)).isEqualTo(AppendResult.stored(24));
    }

    @Test
    void aFrameOlderThanTheWindowGivesNoKeyAtRecovery() throws Exception {
        BufferSettings s = settings().build();
        EventBuffer b = fx.start(s, out, null);
        assertThat(append(b, "t", 0, 4, ID)).isEqualTo(AppendResult.stored(4));
        ((BufferEngine) b).halt();
        fx.close();
        fx.clock.advance(Duration.ofMinutes(10));
        EventBuffer b2 = fx.start(s, out, null);
        assertThat(fx.registry.get("buffer.dedup.keys").gauge().value()).isZero();
        assertThat(append(b2, "t", 0, 4, ID)).as("outside dedup_window").isEqualTo(AppendResult.stored(4));
    }

    @Test
    void aStreamedReSendIsDeduplicatedHoweverItIsCutAndAnyOtherContentIsStored() throws Exception {
        EventBuffer b = fx.start(settings().build(), out, null);
        ByteBuffer all = Events.entries(0, 30, 20);
        int eventBytes = all.remaining() / 30;
        assertThat(commit(b, "big", all, eventBytes, 10, ID)).isEqualTo(AppendResult.stored(30));
        assertThat(commit(b, "big", all, eventBytes, 7, ID).isDuplicate())
                .as("the same message cut into other pieces")
                .isTrue();
        assertThat(b.append("big", all.duplicate(), 30, ID)
                        .get(10, TimeUnit.SECONDS)
                        .isDuplicate())
                .as("the same message sent whole")
                .isTrue();
        ByteBuffer changed = Events.entries(0, 30, 21);
        assertThat(commit(b, "big", changed, changed.remaining() / 30, 10, ID))
                .as("the same id with other entries")
                .isEqualTo(AppendResult.stored(30));
        StreamedAppend part = b.openStream("big");
        part.write(slice(all, 0, 20 * eventBytes), 20).get(10, TimeUnit.SECONDS);
        assertThat(part.commit(ID).get(10, TimeUnit.SECONDS))
                .as("the same id with only the first pieces")
                .isEqualTo(AppendResult.stored(20));
        assertThat(commit(b, "other", all, eventBytes, 10, ID))
                .as("the same id and entries under another tag")
                .isEqualTo(AppendResult.stored(30));
        fx.clock.advance(Duration.ofMinutes(2));
        await().atMost(WAIT).until(() -> out.delivered().size() >= 110);
        assertThat(out.delivered()).hasSize(110);
        assertThat(fx.counter("buffer.dedup.hits")).isEqualTo(2);
    }

    @Test
    void dedupMemoryLimitBoundsTheWindowBeforeAndAfterARestartAndTheLedgerHoldsNoKeys() throws Exception {
        BufferSettings s = settings().dedupMemoryLimitBytes(1024).build(); // 32 keys
        EventBuffer b = fx.start(s, out, null);
        for (int i = 0; i < 100; i++) {
            assertThat(append(b, "t", i, 1, ("id-" + i).getBytes(StandardCharsets.UTF_8)))
                    .isEqualTo(AppendResult.stored(1));
            fx.clock.advance(Duration.ofSeconds(1));
        }
        assertThat(append(b, "t", 99, 1, "id-99".getBytes(StandardCharsets.UTF_8))
                        .isDuplicate())
                .isTrue();
        assertThat(append(b, "t", 0, 1, "id-0".getBytes(StandardCharsets.UTF_8)).isDuplicate())
                .as("evicted: the table holds 32 keys")
                .isFalse();
        assertThat(fx.registry.get("buffer.dedup.window.effective").gauge().value())
                .isLessThan(600);
        ((BufferEngine) b).halt();
        fx.close();
        try (MapDbLedger ledger = MapDbLedger.open(dir.resolve("buf"), fx.clock.millis())) {
            assertThat(ledger.dedupKeys()).isEmpty();
        }

        // 101 frames with keys in the chunk file (id-0 twice); the 32 youngest are taken back
        EventBuffer b2 = fx.start(s, out, null);
        assertThat(fx.registry.get("buffer.dedup.keys").gauge().value()).isEqualTo(32);
        assertThat(fx.registry.get("buffer.dedup.window.effective").gauge().value())
                .as("the youngest key left out was id-68, stored 32 s ago")
                .isEqualTo(32.0);
        assertThat(append(b2, "t", 0, 1, "id-0".getBytes(StandardCharsets.UTF_8))
                        .isDuplicate())
                .as("the youngest frame")
                .isTrue();
        assertThat(append(b2, "t", 99, 1, "id-99".getBytes(StandardCharsets.UTF_8))
                        .isDuplicate())
                .isTrue();
        assertThat(append(b2, "t", 69, 1, "id-69".getBytes(StandardCharsets.UTF_8))
                        .isDuplicate())
                .isTrue();
        assertThat(append(b2, "t", 68, 1, "id-68".getBytes(StandardCharsets.UTF_8))
                        .isDuplicate())
                .as("left out for room")
                .isFalse();
    }

    @Test
    void aBufferDirectoryWrittenInTheFirstFormatRecoversAndItsEventsAreDelivered() throws Exception {
        // format-v1/: a chunk file written by the release before frames carried dedup keys (format version 1):
        // app.a events 0-2 (chunk id ID), app.a 3-4 (no id), app.b 5-8; no ledger beside it
        Path buf = dir.resolve("buf");
        Files.createDirectories(buf);
        try (InputStream in = DedupTest.class.getResourceAsStream("/format-v1/0018bcfe56800000.chunk")) {
            Files.copy(in, buf.resolve("0018bcfe56800000.chunk"));
        }
        // the output holds until the checks are done: a recovered chunk is queued and would be delivered at once
        out.failAlways("held until the checks are done");
        EventBuffer b = fx.start(settings().build(), out, null);
        assertThat(b.stats().totalEvents()).isEqualTo(9);
        assertThat(append(b, "app.a", 0, 3, ID))
                .as("no key in a version-1 frame: the re-send is stored (a duplicate, never a loss)")
                .isEqualTo(AppendResult.stored(3));
        assertThat(append(b, "app.a", 0, 3, ID).isDuplicate()).isTrue();
        b.close();
        fx.close();
        EventBuffer b2 = fx.start(settings().build(), out, null);
        assertThat(b2.stats().totalEvents())
                .as("the new chunk (the old one may be delivered already)")
                .isBetween(3L, 12L);
        assertThat(append(b2, "app.a", 0, 3, ID).isDuplicate()).isTrue();
        out.succeed();
        await().atMost(WAIT).until(() -> {
            fx.clock.advance(Duration.ofMinutes(2));
            return out.delivered().size() == 12;
        });
        assertThat(out.delivered()).containsExactlyInAnyOrder(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 0L, 1L, 2L);
    }

    private static AppendResult commit(
            EventBuffer b, String tag, ByteBuffer all, int eventBytes, int perPiece, byte[] id) throws Exception {
        int events = all.remaining() / eventBytes;
        StreamedAppend s = b.openStream(tag);
        for (int first = 0; first < events; first += perPiece) {
            int n = Math.min(perPiece, events - first);
            s.write(slice(all, first * eventBytes, n * eventBytes), n).get(10, TimeUnit.SECONDS);
        }
        return s.commit(id).get(10, TimeUnit.SECONDS);
    }

    private static ByteBuffer slice(ByteBuffer all, int from, int length) {
        return all.duplicate().position(from).limit(from + length).slice();
    }
}
