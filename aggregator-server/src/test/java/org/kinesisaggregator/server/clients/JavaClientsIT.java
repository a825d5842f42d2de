package org.kinesisaggregator.server.clients;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.fluentd.logger.FluentLogger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.kinesisaggregator.server.ForwardServer;
import org.kinesisaggregator.server.testing.CollectingSink;
import org.kinesisaggregator.server.testing.Event;
import org.kinesisaggregator.server.testing.ForwardServerFixture;
import org.kinesisaggregator.server.testing.LeakCheck;
import org.kinesisaggregator.server.testing.Settings;
import org.kinesisaggregator.server.testing.TestCerts;
import org.komamitsu.fluency.EventTime;
import org.komamitsu.fluency.Fluency;
import org.komamitsu.fluency.fluentd.FluencyBuilderForFluentd;

/** Real Java forward clients written by others: fluency (PackedForward with ack, TLS) and fluent-logger-java. */
@ExtendWith(LeakCheck.class)
class JavaClientsIT {
    @TempDir
    Path dir;

    @RegisterExtension
    final ForwardServerFixture fx = new ForwardServerFixture();

    private final CollectingSink sink = fx.sink;
    private final SimpleMeterRegistry registry = fx.registry;
    private ForwardServer server;

    private ForwardServer start(Settings settings) throws Exception {
        server = fx.start(settings);
        return server;
    }

    static Map<String, Object> record(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    private List<Event> sendWithFluency(FluencyBuilderForFluentd builder, int count) throws Exception {
        builder.setAckResponseMode(true);
        builder.setFlushAttemptIntervalMillis(100);
        builder.setSenderMaxRetryCount(3);
        List<Event> expected = new ArrayList<>();
        Fluency fluency = builder.build("127.0.0.1", server.localAddress().getPort());
        try {
            for (int i = 0; i < count; i++) {
                String tag = i % 2 == 0 ? "fluency.even" : "fluency.odd";
                Map<String, Object> rec =
                        record("seq", (long) i, "msg", "hello " + i, "nested", record("ok", true, "n", 1.5d));
                fluency.emit(tag, EventTime.fromEpoch(1_700_000_000L + i, 123_456_789L + i), rec);
                expected.add(Event.of(tag, 1_700_000_000L + i, 123_456_789 + i, rec));
            }
            fluency.flush();
            assertThat(fluency.waitUntilAllBufferFlushed(20)).isTrue();
        } finally {
            fluency.close();
        }
        return expected;
    }

    @Test
    void fluencySendsPackedForwardWithAcks() throws Exception {
        start(Settings.local());
        List<Event> expected = sendWithFluency(new FluencyBuilderForFluentd(), 1000);
        await().atMost(20, SECONDS).until(() -> sink.events().size() >= 1000);
        assertThat(sink.events()).containsExactlyInAnyOrderElementsOf(expected);
        assertThat(sink.events().stream()
                        .filter(e -> e.tag().equals("fluency.even"))
                        .toList())
                .isEqualTo(expected.stream()
                        .filter(e -> e.tag().equals("fluency.even"))
                        .toList());
        assertThat(registry.find("forward.messages")
                        .tag("mode", "packed_forward")
                        .tag("result", "ok")
                        .counter()
                        .count())
                .isGreaterThanOrEqualTo(2);
        assertThat(registry.find("forward.acks").counter().count()).isGreaterThanOrEqualTo(2);
        assertThat(sink.dedupKeys()).isNotEmpty();
    }

    @Test
    void fluencyOverTls() throws Exception {
        TestCerts certs = TestCerts.get();
        certs.write(dir);
        start(Settings.local().tls(TestCerts.tls(dir, true, "TLSv1_2", false)));
        FluencyBuilderForFluentd builder = new FluencyBuilderForFluentd();
        builder.setSslEnabled(true);
        builder.setSslSocketFactory(
                certs.clientContext(certs.client, certs.clientKey, "TLS").getSocketFactory());
        List<Event> expected = sendWithFluency(builder, 50);
        await().atMost(20, SECONDS).until(() -> sink.events().size() >= 50);
        assertThat(sink.events()).containsExactlyInAnyOrderElementsOf(expected);
    }

    @Test
    void fluentLoggerJavaSendsMessageMode() throws Exception {
        start(Settings.local());
        FluentLogger logger = FluentLogger.getLogger(
                "fluent.java", "127.0.0.1", server.localAddress().getPort());
        List<Event> expected = new ArrayList<>();
        try {
            for (int i = 0; i < 20; i++) {
                Map<String, Object> rec = record("i", (long) i, "text", "line " + i);
                assertThat(logger.log("app", rec, 1_600_000_000L + i)).isTrue();
                expected.add(Event.of("fluent.java.app", 1_600_000_000L + i, 0, rec));
            }
            logger.flush();
        } finally {
            logger.close();
        }
        await().atMost(20, SECONDS).until(() -> sink.events().size() >= 20);
        assertThat(sink.events()).isEqualTo(expected);
        assertThat(registry.find("forward.messages")
                        .tag("mode", "message")
                        .tag("result", "ok")
                        .counter()
                        .count())
                .isEqualTo(20);
    }
}
