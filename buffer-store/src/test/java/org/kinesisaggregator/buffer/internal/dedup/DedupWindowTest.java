package org.kinesisaggregator.buffer.internal.dedup;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.kinesisaggregator.buffer.internal.BufferEngine;
import org.kinesisaggregator.buffer.internal.BufferMetrics;
import org.kinesisaggregator.buffer.internal.store.BufferLedger;
import org.kinesisaggregator.buffer.ledger.InMemoryLedger;
import org.kinesisaggregator.buffer.testing.Events;
import org.kinesisaggregator.buffer.testing.ManualClock;
import org.slf4j.LoggerFactory;

/** The window over a full key table (fake clock): eviction shrinks the effective window, gauged and logged. */
class DedupWindowTest {
    private final ManualClock clock = new ManualClock(1_700_000_000_000L);
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final InMemoryLedger store = new InMemoryLedger();
    private final BufferMetrics metrics = new BufferMetrics(registry, "out1", "file", () -> null);
    private final ListAppender<ILoggingEvent> logs = new ListAppender<>();
    private final Logger engineLog = (Logger) LoggerFactory.getLogger(BufferEngine.class);

    @BeforeEach
    void captureLogs() {
        logs.start();
        engineLog.addAppender(logs);
    }

    @AfterEach
    void stopCapturing() {
        engineLog.detachAppender(logs);
    }

    private DedupWindow window(long memoryLimitBytes) {
        DedupWindow w = new DedupWindow(
                "out1", Duration.ofMinutes(10), memoryLimitBytes, clock, new BufferLedger(store, "out1"), metrics);
        w.load(clock.millis(), DedupWindow.recoveredKeys(Duration.ofMinutes(10), memoryLimitBytes, clock.millis()));
        metrics.registerDedup(w);
        return w;
    }

    private static DedupKey key(int i) {
        ByteBuffer entries = Events.entries(i, 1, 10);
        return DedupKey.of(("chunk-" + i).getBytes(StandardCharsets.UTF_8), "app.log", entries, 1);
    }

    private double gauge(String name) {
        return registry.get(name).gauge().value();
    }

    private List<String> lines(String level, String part) {
        return logs.list.stream()
                .filter(e -> e.getLevel().toString().equals(level))
                .map(ILoggingEvent::getFormattedMessage)
                .filter(m -> m.contains(part))
                .toList();
    }

    @Test
    void evictingKeysInsideTheWindowShrinksTheEffectiveWindowWithAGaugeAndOneWarnLine() {
        DedupWindow w = window(1024);
        assertThat(w.capacity()).isEqualTo(32);
        for (int i = 0; i < 32; i++) {
            w.remember(key(i), clock.millis(), false);
            clock.advance(Duration.ofSeconds(1));
        }
        assertThat(gauge("buffer.dedup.window.effective")).isEqualTo(600.0);
        assertThat(lines("WARN", "dedup window is now")).isEmpty();

        w.remember(key(32), clock.millis(), false); // evicts key 0, seen 32 s ago
        assertThat(w.isDuplicate(key(0))).isFalse();
        assertThat(w.isDuplicate(key(1))).isTrue();
        assertThat(w.isDuplicate(key(32))).isTrue();
        assertThat(gauge("buffer.dedup.window.effective")).isEqualTo(32.0);
        assertThat(gauge("buffer.dedup.keys")).isEqualTo(32.0);
        assertThat(registry.get("buffer.dedup.evictions").counter().count()).isEqualTo(1);
        assertThat(store.dedupKeys()).hasSize(32).doesNotContainKey(ByteBuffer.wrap(key(0).bytes()));
        assertThat(lines("WARN", "dedup window is now 32 s (dedup_window 600 s)"))
                .singleElement()
                .satisfies(l -> assertThat(l)
                        .contains(
                                "out1",
                                "dedup_memory_limit 1024 bytes",
                                "holds 32 keys",
                                "raise dedup_memory_limit to about 1m"));

        w.remember(key(33), clock.millis(), false); // rate-limited: no second line within the minute
        assertThat(lines("WARN", "dedup window is now")).hasSize(1);
        assertThat(registry.get("buffer.dedup.evictions").counter().count()).isEqualTo(2);

        clock.advance(Duration.ofMinutes(10)); // no more evictions: the whole window is covered again
        assertThat(gauge("buffer.dedup.window.effective")).isEqualTo(600.0);
    }

    @Test
    void keysLeavingTheWindowAreNotCountedAsShrinking() {
        DedupWindow w = window(1024);
        for (int i = 0; i < 32; i++) {
            w.remember(key(i), clock.millis(), false);
        }
        clock.advance(Duration.ofMinutes(11));
        w.remember(key(100), clock.millis(), false); // evicts a key already outside the window
        assertThat(gauge("buffer.dedup.window.effective")).isEqualTo(600.0);
        assertThat(registry.get("buffer.dedup.evictions").counter().count()).isZero();
        w.expire();
        assertThat(w.keys()).isEqualTo(1);
        assertThat(store.dedupKeys()).hasSize(1);
    }

    @Test
    void hitsAreCountedAndLoggedOncePerMinuteWithTheChunkIdInHexAndTheTagEscaped() {
        DedupWindow w = window(1024);
        DedupKey k = DedupKey.of(new byte[] {0x01, (byte) 0xab}, "app\n\"x\"", Events.entries(0, 2, 5), 2);
        w.remember(k, clock.millis(), false);
        clock.advance(Duration.ofSeconds(5));
        assertThat(w.isDuplicate(k)).isTrue();
        w.hit(k);
        w.hit(k);
        assertThat(registry.get("buffer.dedup.hits").counter().count()).isEqualTo(2);
        assertThat(lines("INFO", "acked a re-send"))
                .singleElement()
                .satisfies(l -> assertThat(l)
                        .contains(
                                "chunk id 01ab",
                                "tag \"app\\u000a\\\"x\\\"\"",
                                "2 events",
                                "first stored 5 s ago",
                                "0 more re-sends"));
        clock.advance(Duration.ofMinutes(1));
        w.hit(k);
        assertThat(lines("INFO", "acked a re-send"))
                .hasSize(2)
                .last()
                .asString()
                .contains("1 more re-sends");
    }
}
