package org.kinesisaggregator.server;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.kinesisaggregator.server.testing.Mp.map;
import static org.kinesisaggregator.server.testing.Mp.pack;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.kinesisaggregator.server.testing.CollectingSink;
import org.kinesisaggregator.server.testing.ForwardServerFixture;
import org.kinesisaggregator.server.testing.LeakCheck;
import org.kinesisaggregator.server.testing.LogCapture;
import org.kinesisaggregator.server.testing.Mp;
import org.kinesisaggregator.server.testing.RawClient;
import org.kinesisaggregator.server.testing.Settings;
import org.msgpack.value.Value;

/**
 * Peer-supplied strings (the handshake's client hostname, tags) reach the log escaped, so that a
 * client cannot forge log lines; repeated handshake failures from one address are logged once per
 * interval and all counted.
 */
@ExtendWith(LeakCheck.class)
class LogEscapingTest {
    private static final String FORGED_HOSTNAME = "evil\n[ERROR] forged\r\n\u001b[2J";

    @RegisterExtension
    final ForwardServerFixture fx = new ForwardServerFixture();

    private final CollectingSink sink = fx.sink;
    private final SimpleMeterRegistry registry = fx.registry;
    private final ManualClock clock = new ManualClock(Instant.parse("2024-01-01T00:00:00Z"));
    private ForwardServer server;

    @BeforeEach
    void clearLog() {
        LogCapture.clear();
    }

    private void start(Settings settings) throws Exception {
        server = fx.start(settings.build(), sink, clock, ForwardServer.Tuning.DEFAULT);
    }

    private static List<LogCapture.Line> serverLines() {
        return LogCapture.matching(l -> l.logger().equals(ForwardServer.class.getName()));
    }

    private static void assertNoRawControlCharacters() {
        assertThat(LogCapture.lines()).allSatisfy(l -> assertThat(l.message()).doesNotContain("\n", "\r", "\u001b"));
    }

    /** Reads HELO and answers a PING from {@code hostname} with a digest that cannot be right; returns the PONG. */
    private static List<Value> failHandshake(RawClient client, String hostname) {
        assertThat(client.readValue().asArrayValue().get(0).toString()).isEqualTo("HELO");
        byte[] salt = "0123456789abcdef".getBytes(StandardCharsets.UTF_8);
        client.send(pack(List.of("PING", hostname, salt, "0".repeat(128), "", "")));
        return client.readValue().asArrayValue().list();
    }

    private double handshakeFailures() {
        var c = registry.find("forward.handshake.failures").counter();
        return c == null ? 0 : c.count();
    }

    @Test
    void aForgedClientHostnameIsEscapedInTheHandshakeFailureLine() throws Exception {
        start(Settings.local().security(SecurityHandshakeTest.shared("s3cret")));
        try (RawClient client = new RawClient(server.localAddress())) {
            assertThat(failHandshake(client, FORGED_HOSTNAME).get(2).toString()).isEqualTo("shared_key mismatch");
            assertThat(client.isClosedByServer()).isTrue();
        }
        await().atMost(10, SECONDS)
                .until(() -> !LogCapture.containing("Handshake with").isEmpty());
        assertThat(LogCapture.containing("Handshake with"))
                .singleElement()
                .satisfies(l -> assertThat(l.message()).contains("client hostname evil\\n[ERROR] forged\\r\\n\\e[2J"));
        assertThat(LogCapture.containing("[ERROR] forged"))
                .allSatisfy(l -> assertThat(l.message()).startsWith("Handshake with"));
        assertNoRawControlCharacters();
    }

    @Test
    void aTagWithEscapeSequencesIsEscapedInTheLogLine() throws Exception {
        start(Settings.local().chunkSizeWarnLimit(1));
        String tag = "app\u001b[31m.red\r\n[ERROR] forged";
        try (RawClient client = new RawClient(server.localAddress())) {
            client.send(Mp.message(tag, 1L, map("a", 1L), map("chunk", "c1")));
            assertThat(client.readValue().toString()).isEqualTo("{\"ack\":\"c1\"}");
        }
        assertThat(LogCapture.containing("chunk_size_warn_limit"))
                .singleElement()
                .satisfies(l -> assertThat(l.message()).contains("tag=app\\e[31m.red\\r\\n[ERROR] forged"));
        assertThat(sink.events())
                .singleElement()
                .satisfies(e ->
                        assertThat(e.tag()).as("the event itself keeps its tag").isEqualTo(tag));
        assertNoRawControlCharacters();
    }

    @Test
    void repeatedHandshakeFailuresFromOneAddressAreLoggedOncePerIntervalAndAllCounted() throws Exception {
        start(Settings.local().security(SecurityHandshakeTest.shared("s3cret")));
        for (int i = 0; i < 5; i++) {
            try (RawClient client = new RawClient(server.localAddress())) {
                failHandshake(client, "forwarder-" + i);
                assertThat(client.isClosedByServer()).isTrue();
            }
        }
        await().atMost(10, SECONDS).until(() -> handshakeFailures() == 5);
        assertThat(serverLines().stream()
                        .filter(l -> l.message().startsWith("Handshake with"))
                        .toList())
                .singleElement()
                .satisfies(l -> assertThat(l.message()).contains("forwarder-0").doesNotContain("more handshake"));

        clock.advance(Duration.ofSeconds(61)); // past the 60 s log interval
        try (RawClient client = new RawClient(server.localAddress())) {
            failHandshake(client, "forwarder-5");
            assertThat(client.isClosedByServer()).isTrue();
        }
        await().atMost(10, SECONDS).until(() -> handshakeFailures() == 6);
        await().atMost(10, SECONDS)
                .until(() -> !LogCapture.containing("forwarder-5").isEmpty());
        assertThat(LogCapture.containing("Handshake with"))
                .hasSize(2)
                .last()
                .satisfies(l -> assertThat(l.message())
                        .contains("forwarder-5", "(4 more handshake failure(s) from this address since the last such"));
        assertThat(registry.find("forward.errors")
                        .tag("reason", "handshake")
                        .counter()
                        .count())
                .isEqualTo(6);
    }

    /** A clock the test moves by hand. */
    static final class ManualClock extends Clock {
        private volatile Instant now;

        ManualClock(Instant start) {
            now = start;
        }

        void advance(Duration d) {
            now = now.plus(d);
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }
}
