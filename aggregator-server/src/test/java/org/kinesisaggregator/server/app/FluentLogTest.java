package org.kinesisaggregator.server.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.kinesisaggregator.buffer.AppendResult;
import org.kinesisaggregator.buffer.EventSink;
import org.kinesisaggregator.buffer.StreamedAppend;
import org.kinesisaggregator.server.ForwardServer;
import org.kinesisaggregator.server.testing.Mp;
import org.kinesisaggregator.server.testing.RawClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code <label @FLUENT_LOG>}: the aggregator's own log lines reach that label's routes as
 * {@code fluent.<level>} events with a {@code message} field, as Fluentd's; the queue is bounded
 * (overflow dropped and counted, the logging thread never waits) and emission never recurses.
 */
class FluentLogTest {
    private static final Logger testLog = LoggerFactory.getLogger("org.kinesisaggregator.test.FluentLogTest");

    @RegisterExtension
    final AggregatorFixture app = new AggregatorFixture();

    private Aggregator aggregator;

    @Test
    void aMalformedMessagesWarningReachesTheFileOfTheFluentLogLabel() throws Exception {
        aggregator = app.start("""
                <system>
                  root_dir ${dir}/data
                </system>
                <source>
                  @type forward
                  bind 127.0.0.1
                  port 0
                </source>
                <match app.**>
                  @type null
                </match>
                <label @FLUENT_LOG>
                  <match fluent.warn fluent.error>
                    @type file
                    @id fluent_log
                    path ${dir}/out/fluent
                    append true
                    <buffer>
                      flush_mode immediate
                    </buffer>
                  </match>
                  <match fluent.**>
                    @type file
                    @id fluent_info
                    path ${dir}/out/info
                    append true
                    <buffer>
                      flush_mode immediate
                    </buffer>
                  </match>
                </label>
                """);
        int port = aggregator.inputs(ForwardServer.class).get(0).localAddress().getPort();
        try (RawClient client = new RawClient(new java.net.InetSocketAddress("127.0.0.1", port))) {
            client.send(Mp.pack(Map.of("a", 1L)));
            assertThat(client.isClosedByServer()).isTrue();
        }
        await().atMost(Duration.ofSeconds(20))
                .until(() ->
                        app.lines("out/fluent.log").stream().anyMatch(l -> l.contains("expected: an array, or nil")));
        String line = app.lines("out/fluent.log").stream()
                .filter(l -> l.contains("expected: an array, or nil"))
                .findFirst()
                .orElseThrow();
        // out_file's default format: time, tag, the record as JSON
        String[] fields = line.split("\t");
        assertThat(fields).hasSize(3);
        assertThat(fields[1]).isEqualTo("fluent.warn");
        assertThat(fields[2]).startsWith("{\"message\":\"Closing forward connection from ");
        // Fluentd emits fluent.info at the default level too: the start-up lines arrive
        await().atMost(Duration.ofSeconds(20))
                .until(() -> app.lines("out/info.log").stream()
                        .anyMatch(l -> l.contains("\tfluent.info\t{\"message\":\"Ready\"}")));
        assertThat(app.registry()
                        .get("fluent_log.events")
                        .tag("result", "emitted")
                        .counter()
                        .count())
                .isGreaterThan(1);
    }

    @Test
    void unmatchedLogTagsAreNamedInAWarningAsFluentdDoes() throws Exception {
        aggregator = app.assemble("""
                <label @FLUENT_LOG>
                  <match fluent.warn fluent.error>
                    @type null
                  </match>
                </label>
                """);
        assertThat(aggregator.warnings())
                .anyMatch(w -> w.contains("match for some tags of log events are not defined in @FLUENT_LOG label")
                        && w.contains("fluent.info")
                        && !w.contains("fluent.warn"));
    }

    /** Holds every append's future until released; counts appends. */
    private static final class HeldSink implements EventSink {
        final List<CompletableFuture<AppendResult>> held = new CopyOnWriteArrayList<>();
        final List<Integer> counts = new CopyOnWriteArrayList<>();
        final AtomicBoolean released = new AtomicBoolean();
        final boolean fail;

        HeldSink(boolean fail) {
            this.fail = fail;
        }

        @Override
        public CompletableFuture<AppendResult> append(String tag, ByteBuffer entries, int eventCount, byte[] key) {
            counts.add(eventCount);
            if (fail) {
                return CompletableFuture.failedFuture(new IllegalStateException("refused for the test"));
            }
            if (released.get()) {
                return CompletableFuture.completedFuture(AppendResult.stored(eventCount));
            }
            CompletableFuture<AppendResult> f = new CompletableFuture<>();
            held.add(f);
            return f;
        }

        void release() {
            released.set(true);
            held.forEach(f -> f.complete(AppendResult.stored(0)));
        }

        @Override
        public StreamedAppend openStream(String tag) {
            throw new UnsupportedOperationException();
        }
    }

    @Test
    void aFullQueueDropsAndCountsWithoutBlockingTheLoggingThread() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        HeldSink sink = new HeldSink(false);
        FluentLogEvents events = new FluentLogEvents(sink, Set.of("fluent.warn"), Set.of(), registry);
        assertThat(events.attach()).isTrue();
        int logged = FluentLogEvents.QUEUE_LIMIT + 1000;
        try {
            // the emitter is stuck on its first append: the queue fills, the rest is dropped
            for (int i = 0; i < logged; i++) {
                testLog.warn("overflow test event {}", i);
            }
            double dropped = registry.get("fluent_log.events")
                    .tag("result", "dropped")
                    .counter()
                    .count();
            assertThat(dropped).isBetween(1000.0 - 256, 1000.0);
        } finally {
            sink.release();
            events.detach();
        }
        double emitted = registry.get("fluent_log.events")
                .tag("result", "emitted")
                .counter()
                .count();
        double dropped = registry.get("fluent_log.events")
                .tag("result", "dropped")
                .counter()
                .count();
        // what other threads logged meanwhile may add to both
        assertThat(emitted + dropped).isGreaterThanOrEqualTo(logged);
    }

    @Test
    void theEmittersOwnFailuresAreNotEmittedAgain() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        HeldSink sink = new HeldSink(true);
        FluentLogEvents events = new FluentLogEvents(sink, Set.of("fluent.error"), Set.of(), registry);
        events.attach();
        try {
            testLog.error("first");
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> registry.get("fluent_log.events")
                                    .tag("result", "failed")
                                    .counter()
                                    .count()
                            == 1);
            // the emitter logged its failure (WARN) before counting it; were it emitted (a WARN is not
            // routed here, so use an ERROR marker), it would be queued before this marker
            testLog.error("marker");
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> registry.get("fluent_log.events")
                                    .tag("result", "failed")
                                    .counter()
                                    .count()
                            == 2);
        } finally {
            events.detach();
        }
        assertThat(sink.counts).containsExactly(1, 1);
    }
}
