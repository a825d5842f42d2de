package org.kinesisaggregator.buffer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kinesisaggregator.buffer.BufferSettings.BufferType;
import org.kinesisaggregator.buffer.testing.Events;
import org.kinesisaggregator.buffer.testing.Fixture;
import org.kinesisaggregator.buffer.testing.RecordingOutput;

/**
 * {@link EventBuffer#flushNow()} (SIGUSR1, Fluentd's flush_buffers): staged chunks are sealed and
 * delivered without waiting for {@code flush_interval}; a chunk waiting for a retry keeps its retry
 * time. The clock is manual and never reaches the 1 h flush_interval.
 */
class FlushNowTest {
    @TempDir
    Path dir;

    private final Fixture fx = new Fixture();
    private final RecordingOutput out = new RecordingOutput();

    @AfterEach
    void tearDown() {
        fx.close();
    }

    private BufferSettings settings(BufferType type) {
        return Fixture.settings(type, type == BufferType.FILE ? dir.resolve("buf") : null)
                .chunkKeys(BufferSettings.ChunkKeys.TAG)
                .flushInterval(Duration.ofHours(1))
                .build();
    }

    @Test
    void sealsEveryStagedChunkAndDeliversItBeforeFlushInterval() throws Exception {
        EventBuffer b = fx.start(settings(BufferType.FILE), out, null);
        b.append("a", Events.entries(0, 10, 20), 10, null).get(10, TimeUnit.SECONDS);
        b.append("b", Events.entries(10, 5, 20), 5, null).get(10, TimeUnit.SECONDS);
        assertThat(b.stats().stagedChunks()).isEqualTo(2);

        assertThat(b.flushNow().get(10, TimeUnit.SECONDS)).as("chunks sealed").isEqualTo(2);

        await().atMost(Duration.ofSeconds(20)).until(() -> out.delivered().size() == 15);
        assertThat(out.delivered())
                .containsExactlyInAnyOrderElementsOf(
                        LongStream.range(0, 15).boxed().collect(Collectors.toList()));
        assertThat(b.stats().stagedChunks()).isZero();
        assertThat(b.flushNow().get(10, TimeUnit.SECONDS))
                .as("nothing staged: nothing sealed")
                .isZero();
    }

    @Test
    void aChunkWaitingForItsRetryKeepsItsRetryTime() throws Exception {
        EventBuffer b = fx.start(settings(BufferType.MEMORY), out, null);
        out.failAlways("down");
        b.append("a", Events.entries(0, 3, 20), 3, null).get(10, TimeUnit.SECONDS);
        assertThat(b.flushNow().get(10, TimeUnit.SECONDS)).isEqualTo(1);
        await().atMost(Duration.ofSeconds(20)).until(() -> b.stats().retryCount() == 1);
        out.succeed();

        // A new chunk is sealed and delivered now; the failed one waits for its retry (1 s on the manual clock).
        b.append("b", Events.entries(3, 2, 20), 2, null).get(10, TimeUnit.SECONDS);
        assertThat(b.flushNow().get(10, TimeUnit.SECONDS)).isEqualTo(1);
        await().atMost(Duration.ofSeconds(20)).until(() -> out.delivered().size() == 2);
        assertThat(out.delivered()).containsExactly(3L, 4L);
        assertThat(b.stats().queuedChunks()).as("the failed chunk still waits").isEqualTo(1);

        fx.clock.advance(Duration.ofSeconds(2));
        await().atMost(Duration.ofSeconds(20)).until(() -> out.delivered().size() == 5);
        assertThat(out.delivered()).containsExactly(3L, 4L, 0L, 1L, 2L);
    }

    @Test
    void aClosedBufferRefusesTheFlush() throws Exception {
        EventBuffer b = fx.start(settings(BufferType.MEMORY), out, null);
        b.close();
        assertThat(b.flushNow()).failsWithin(Duration.ofSeconds(10));
    }
}
