package org.kinesisaggregator.buffer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.kinesisaggregator.buffer.BufferSettings.BufferType;
import org.kinesisaggregator.buffer.BufferSettings.FlushMode;
import org.kinesisaggregator.buffer.testing.Events;
import org.kinesisaggregator.buffer.testing.Fixture;
import org.kinesisaggregator.buffer.testing.RecordingOutput;

/** Fluentd's output counters and retry state as {@link EventBuffer#stats()} reports them. */
class BufferCountersTest {
    private final Fixture fx = new Fixture();
    private final RecordingOutput out = new RecordingOutput();

    @AfterEach
    void tearDown() {
        fx.close();
    }

    @Test
    void countersMoveWithAppendsWritesAndFailuresAndTheRetryStateIsTheMostFailedChunks() throws Exception {
        BufferSettings s = Fixture.settings(BufferType.MEMORY, null)
                .flushMode(FlushMode.IMMEDIATE)
                .chunkLimitBytes(4096)
                .totalLimitBytes(1 << 20)
                .build();
        out.failAlways("stream is down");
        EventBuffer b = fx.start(s, out, null);
        long t0 = fx.clock.millis();
        assertThat(b.append("t", Events.entries(0, 3, 60), 3, null)
                        .get(10, TimeUnit.SECONDS)
                        .storedEvents())
                .isEqualTo(3);

        await().atMost(Duration.ofSeconds(10)).until(() -> b.stats().counters().numErrors() == 1);
        BufferStats failing = b.stats();
        BufferCounters c = failing.counters();
        assertThat(c.emitCount()).isEqualTo(1);
        assertThat(c.emitRecords()).isEqualTo(3);
        assertThat(c.emitBytes()).isEqualTo(Events.entries(0, 3, 60).remaining());
        assertThat(c.writeCount()).isEqualTo(1);
        assertThat(c.rollbackCount()).isEqualTo(1);
        assertThat(c.writeSecondaryCount()).isZero();
        assertThat(c.slowFlushCount()).isZero();
        assertThat(failing.retryCount()).isEqualTo(1);
        assertThat(failing.retryStartEpochMillis()).isEqualTo(t0);
        assertThat(failing.retryNextEpochMillis()).isEqualTo(t0 + 1000);
        assertThat(failing.queuedChunks()).isEqualTo(1);
        assertThat(failing.queuedBytes()).isEqualTo(failing.totalBytes()).isPositive();
        assertThat(failing.stagedBytes()).isZero();
        assertThat(failing.totalLimitBytes()).isEqualTo(1 << 20);
        assertThat(failing.availableSpacePercent())
                .isLessThan(100.0)
                .isEqualTo((1.0 - failing.totalBytes() / (double) (1 << 20)) * 100.0);

        out.succeed();
        fx.clock.advance(Duration.ofSeconds(1));
        await().atMost(Duration.ofSeconds(10)).until(() -> b.stats().totalEvents() == 0);
        BufferStats done = b.stats();
        assertThat(done.counters().writeCount()).isEqualTo(2);
        assertThat(done.counters().numErrors()).isEqualTo(1);
        assertThat(done.retryCount()).isZero();
        assertThat(done.retryStartEpochMillis()).isZero();
        assertThat(done.availableSpacePercent()).isEqualTo(100.0);
        assertThat(out.delivered()).containsExactly(0L, 1L, 2L);
    }
}
