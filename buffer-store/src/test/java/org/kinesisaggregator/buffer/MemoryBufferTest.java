package org.kinesisaggregator.buffer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.kinesisaggregator.buffer.BufferSettings.BufferType;
import org.kinesisaggregator.buffer.testing.Events;
import org.kinesisaggregator.buffer.testing.Fixture;
import org.kinesisaggregator.buffer.testing.RecordingOutput;

/** The memory buffer: same semantics in the heap, acks after the copy, flush at shutdown by default. */
class MemoryBufferTest {
    private final Fixture fx = new Fixture();
    private final RecordingOutput out = new RecordingOutput();

    @AfterEach
    void tearDown() {
        fx.close();
    }

    @Test
    void deliversSplitsAndFlushesAtShutdown() throws Exception {
        BufferSettings s = Fixture.settings(BufferType.MEMORY, null)
                .chunkLimitBytes(2048)
                .totalLimitBytes(1 << 20)
                .build();
        assertThat(s.flushAtShutdown()).isTrue();
        EventBuffer b = fx.start(s, out, null);
        assertThat(b.append("t", Events.entries(0, 40, 60), 40, null)
                        .get(10, TimeUnit.SECONDS)
                        .storedEvents())
                .isEqualTo(40);
        // 40 events of ~100 bytes do not fit one 2 KiB chunk: the full ones are sealed and delivered at once
        await().atMost(Duration.ofSeconds(20))
                .until(() -> out.delivered().size() >= 10 && b.stats().queuedChunks() == 0);
        b.append("t", Events.entries(40, 5, 60), 5, null).get(10, TimeUnit.SECONDS);
        assertThat(b.stats().stagedChunks()).isEqualTo(1);
        b.close();
        assertThat(out.delivered()).isEqualTo(LongStream.range(0, 45).boxed().collect(Collectors.toList()));
    }

    @Test
    void anEmptyAppendStoresNothingAndCompletes() throws Exception {
        EventBuffer b = fx.start(Fixture.settings(BufferType.MEMORY, null).build(), out, null);
        assertThat(b.append("t", ByteBuffer.allocate(0), 0, null).get(10, TimeUnit.SECONDS))
                .isEqualTo(AppendResult.stored(0));
        assertThat(b.stats().stagedChunks()).isZero();
        assertThat(b.stats().totalBytes()).isZero();
    }
}
