package org.kinesisaggregator.buffer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kinesisaggregator.buffer.BufferSettings.BufferType;
import org.kinesisaggregator.buffer.testing.Events;
import org.kinesisaggregator.buffer.testing.Fixture;

/**
 * Record-key chunk keys in the buffer: a staged chunk per (tag, metadata), the metadata in the chunk
 * file's header and given to the output, recovered after a restart, bounded by staged_chunks_limit;
 * files of the format before (version 2) still recover. Real files, a manual clock.
 */
class ChunkMetadataTest {
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final ChunkMetadata APP = ChunkMetadata.of(Map.of("$.kubernetes.annotations.stream", "app"));
    private static final ChunkMetadata AUDIT = ChunkMetadata.of(Map.of("$.kubernetes.annotations.stream", "audit"));

    @TempDir
    Path dir;

    private final Fixture fx = new Fixture();
    private final MetadataOutput out = new MetadataOutput();

    @AfterEach
    void tearDown() {
        fx.close();
    }

    /** What each write got: the chunk's metadata and the ids of its events. */
    record Write(ChunkMetadata metadata, List<Long> ids) {}

    static final class MetadataOutput implements Output {
        final List<Write> writes = new java.util.concurrent.CopyOnWriteArrayList<>();

        @Override
        public String type() {
            return "metadata";
        }

        @Override
        public CompletableFuture<WriteResult> write(Chunk chunk) {
            List<Long> ids = new ArrayList<>();
            for (Events.Event e : Events.read(chunk)) {
                ids.add(e.id());
            }
            writes.add(new Write(chunk.metadata(), ids));
            return CompletableFuture.completedFuture(WriteResult.allDelivered());
        }

        List<Long> idsOf(ChunkMetadata m) {
            List<Long> ids = new ArrayList<>();
            writes.stream().filter(w -> w.metadata().equals(m)).forEach(w -> ids.addAll(w.ids()));
            return ids;
        }

        int events() {
            return writes.stream().mapToInt(w -> w.ids().size()).sum();
        }
    }

    private BufferSettings.Builder settings() {
        return Fixture.settings(BufferType.FILE, dir.resolve("buf"));
    }

    private static void append(EventBuffer b, ChunkMetadata m, long firstId, int count) throws Exception {
        assertThat(b.append("kube.app", m, Events.entries(firstId, count, 10), count, null)
                        .get(10, TimeUnit.SECONDS))
                .isEqualTo(AppendResult.stored(count));
    }

    @Test
    void aChunkPerMetadataValueAndTheOutputSeesItsValues() throws Exception {
        EventBuffer b = fx.start(settings().build(), out, null);
        append(b, APP, 0, 3);
        append(b, AUDIT, 3, 2);
        append(b, APP, 5, 1);
        append(b, ChunkMetadata.NONE, 6, 1);
        assertThat(b.stats().stagedChunks())
                .as("one staged chunk per distinct metadata")
                .isEqualTo(3);
        fx.clock.advance(Duration.ofSeconds(61));
        await().atMost(WAIT).until(() -> out.events() == 7);
        assertThat(out.writes).hasSize(3);
        assertThat(out.idsOf(APP)).containsExactly(0L, 1L, 2L, 5L);
        assertThat(out.idsOf(AUDIT)).containsExactly(3L, 4L);
        assertThat(out.idsOf(ChunkMetadata.NONE)).containsExactly(6L);
    }

    @Test
    void theMetadataIsInTheChunkHeaderAndSurvivesARestart() throws Exception {
        BufferSettings s = settings().flushAtShutdown(false).build();
        EventBuffer b = fx.start(s, out, null);
        append(b, APP, 0, 2);
        append(b, AUDIT, 2, 3);
        b.close();
        fx.close();
        assertThat(out.writes).as("nothing delivered before the restart").isEmpty();
        EventBuffer b2 = fx.start(s, out, null);
        await().atMost(WAIT).until(() -> out.events() == 5);
        assertThat(out.idsOf(APP)).containsExactly(0L, 1L);
        assertThat(out.idsOf(AUDIT)).containsExactly(2L, 3L, 4L);
        assertThat(b2.stats().totalEvents()).isZero();
    }

    @Test
    void stagedChunksLimitSealsTheOldestStagedChunk() throws Exception {
        EventBuffer b = fx.start(settings().stagedChunksLimit(2).build(), out, null);
        ChunkMetadata third = ChunkMetadata.of(Map.of("$.kubernetes.annotations.stream", "third"));
        append(b, APP, 0, 1);
        fx.clock.advance(Duration.ofMillis(5));
        append(b, AUDIT, 1, 1);
        fx.clock.advance(Duration.ofMillis(5));
        append(b, third, 2, 1);
        // the oldest (APP) was sealed before its flush_interval to make room: it is delivered now
        await().atMost(WAIT).until(() -> out.events() == 1);
        assertThat(out.idsOf(APP)).containsExactly(0L);
        assertThat(b.stats().stagedChunks()).isEqualTo(2);
        assertThat(fx.counter("buffer.chunks.sealed.staged_limit")).isEqualTo(1);
        fx.clock.advance(Duration.ofSeconds(61));
        await().atMost(WAIT).until(() -> out.events() == 3);
        assertThat(out.idsOf(AUDIT)).containsExactly(1L);
        assertThat(out.idsOf(third)).containsExactly(2L);
    }

    @Test
    void aMemoryBufferGivesTheMetadataToo() throws Exception {
        EventBuffer b = fx.start(Fixture.settings(BufferType.MEMORY, null).build(), out, null);
        append(b, APP, 0, 2);
        append(b, AUDIT, 2, 1);
        b.flushNow().get(10, TimeUnit.SECONDS);
        await().atMost(WAIT).until(() -> out.events() == 3);
        assertThat(out.idsOf(APP)).containsExactly(0L, 1L);
        assertThat(out.idsOf(AUDIT)).containsExactly(2L);
    }

    @Test
    void aStreamedAppendCarriesItsMetadata() throws Exception {
        EventBuffer b = fx.start(settings().build(), out, null);
        StreamedAppend s = b.openStream("kube.app", AUDIT);
        s.write(Events.entries(0, 2, 10), 2).get(10, TimeUnit.SECONDS);
        s.write(Events.entries(2, 2, 10), 2).get(10, TimeUnit.SECONDS);
        assertThat(s.commit(null).get(10, TimeUnit.SECONDS)).isEqualTo(AppendResult.stored(4));
        await().atMost(WAIT).until(() -> out.events() == 4);
        assertThat(out.idsOf(AUDIT)).containsExactly(0L, 1L, 2L, 3L);
    }

    @Test
    void aChunkFileOfFormatVersion2RecoversWithoutMetadata() throws Exception {
        // format-v2/: written by the release before chunk headers carried metadata (3 frames, ids 0..8)
        Path buf = dir.resolve("buf");
        Files.createDirectories(buf);
        try (InputStream in = getClass().getResourceAsStream("/format-v2/0018bcfe56900000.chunk")) {
            Files.copy(in, buf.resolve("0018bcfe56900000.chunk"));
        }
        fx.start(settings().build(), out, null);
        await().atMost(WAIT).until(() -> out.events() == 9);
        assertThat(out.idsOf(ChunkMetadata.NONE)).containsExactly(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L);
    }

    @Test
    void theEncodingIsCanonicalAndRoundTrips() {
        ChunkMetadata m = ChunkMetadata.of(Map.of("b", "2", "a", "é", "$.x.y", ""));
        ChunkMetadata same = ChunkMetadata.of(Map.of("$.x.y", "", "a", "é", "b", "2"));
        assertThat(m.encode()).isEqualTo(same.encode());
        assertThat(ChunkMetadata.decode(ByteBuffer.wrap(m.encode()))).isEqualTo(m);
        assertThat(ChunkMetadata.decode(ByteBuffer.wrap(ChunkMetadata.NONE.encode())))
                .isSameAs(ChunkMetadata.NONE);
        byte[] cut = java.util.Arrays.copyOf(m.encode(), m.encode().length - 1);
        assertThatThrownBy(() -> ChunkMetadata.decode(ByteBuffer.wrap(cut)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("chunk metadata");
        assertThatThrownBy(() -> ChunkMetadata.of(Map.of("k", "x".repeat(ChunkMetadata.MAX_ENCODED_BYTES)))
                        .encode())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("chunk key values");
    }

    @Test
    void theTimeSliceIsAnEntryOfTheMetadataSeparatingChunksAndSurvivingARestart() throws Exception {
        ChunkMetadata hour0 = APP.withTimekey(1_700_000_000L);
        ChunkMetadata hour1 = APP.withTimekey(1_700_003_600L);
        assertThat(hour0.timekey()).isEqualTo(1_700_000_000L);
        assertThat(APP.timekey()).as("no time chunk key").isNull();
        assertThat(hour0.get("$.kubernetes.annotations.stream")).isEqualTo("app");
        assertThat(hour0).hasToString("{$.kubernetes.annotations.stream=app, timekey=1700000000}");
        BufferSettings s = settings().flushAtShutdown(false).build();
        EventBuffer b = fx.start(s, out, null);
        append(b, hour0, 0, 2);
        append(b, hour1, 2, 1);
        append(b, APP, 3, 1);
        assertThat(b.stats().stagedChunks()).as("one staged chunk per slice").isEqualTo(3);
        b.close();
        fx.close();
        EventBuffer b2 = fx.start(s, out, null);
        await().atMost(WAIT).until(() -> out.events() == 4);
        assertThat(out.idsOf(hour0)).containsExactly(0L, 1L);
        assertThat(out.idsOf(hour1)).containsExactly(2L);
        assertThat(out.idsOf(APP)).containsExactly(3L);
        assertThat(out.writes)
                .filteredOn(w -> w.metadata().equals(hour1))
                .allMatch(w -> w.metadata().timekey() == 1_700_003_600L);
        assertThat(b2.stats().totalEvents()).isZero();
    }

    @Test
    void aTimeSlicedChunkIsSealedOnceItsSliceEndedAndTimekeyWaitPassedAsFluentdsLazyFlush() throws Exception {
        long now = fx.clock.millis() / 1000;
        long slice = now - Math.floorMod(now, 3600);
        BufferSettings s = settings()
                .timeSlices(Duration.ofHours(1), Duration.ofMinutes(10))
                .build();
        assertThat(s.flushesByInterval())
                .as("flush_mode default with a time key: Fluentd's lazy")
                .isFalse();
        EventBuffer b = fx.start(s, out, null);
        append(b, APP.withTimekey(slice), 0, 2);
        append(b, APP.withTimekey(slice - 7200), 2, 1); // an old slice: over and waited for already
        await().atMost(WAIT)
                .until(() -> out.idsOf(APP.withTimekey(slice - 7200)).size() == 1);
        fx.clock.advance(Duration.ofSeconds(61)); // past flush_interval: no effect here
        await().during(Duration.ofMillis(500))
                .atMost(WAIT)
                .until(() -> b.stats().stagedChunks() == 1);
        assertThat(out.idsOf(APP.withTimekey(slice))).isEmpty();
        long toWaitEnd = (slice + 3600 + 600) * 1000 - fx.clock.millis();
        fx.clock.advance(Duration.ofMillis(toWaitEnd - 1));
        await().during(Duration.ofMillis(300))
                .atMost(WAIT)
                .until(() -> b.stats().stagedChunks() == 1);
        fx.clock.advance(Duration.ofMillis(1));
        await().atMost(WAIT).until(() -> out.idsOf(APP.withTimekey(slice)).size() == 2);
        assertThat(out.idsOf(APP.withTimekey(slice))).containsExactly(0L, 1L);
    }

    @Test
    void withFlushModeIntervalATimeSlicedChunkIsAlsoSealedByFlushInterval() throws Exception {
        long now = fx.clock.millis() / 1000;
        long slice = now - Math.floorMod(now, 3600);
        BufferSettings s = settings()
                .timeSlices(Duration.ofHours(1), Duration.ofMinutes(10))
                .flushMode(BufferSettings.FlushMode.INTERVAL)
                .build();
        EventBuffer b = fx.start(s, out, null);
        append(b, APP.withTimekey(slice), 0, 2);
        fx.clock.advance(Duration.ofSeconds(61));
        await().atMost(WAIT).until(() -> out.idsOf(APP.withTimekey(slice)).size() == 2);
        assertThat(b.stats().stagedChunks()).isZero();
    }
}
