package org.kinesisaggregator.server;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.kinesisaggregator.server.testing.Mp.concat;
import static org.kinesisaggregator.server.testing.Mp.entries;
import static org.kinesisaggregator.server.testing.Mp.map;
import static org.kinesisaggregator.server.testing.Mp.pack;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.kinesisaggregator.server.testing.CollectingSink;
import org.kinesisaggregator.server.testing.Event;
import org.kinesisaggregator.server.testing.ForwardServerFixture;
import org.kinesisaggregator.server.testing.LeakCheck;
import org.kinesisaggregator.server.testing.LogCapture;
import org.kinesisaggregator.server.testing.Mp;
import org.kinesisaggregator.server.testing.Mp.Ext;
import org.kinesisaggregator.server.testing.Mp.Str;
import org.kinesisaggregator.server.testing.RawClient;
import org.kinesisaggregator.server.testing.Settings;

/**
 * Each kind of bad input on a real socket: that connection (only) is closed after its earlier
 * message was acked and kept, the log names the peer and the reason, the metric counts it, and
 * another connection goes on working.
 */
@ExtendWith(LeakCheck.class)
class ForwardServerBadInputTest {
    @RegisterExtension
    final ForwardServerFixture fx = new ForwardServerFixture();

    private final CollectingSink sink = fx.sink;
    private final SimpleMeterRegistry registry = fx.registry;
    private ForwardServer server;

    @BeforeEach
    void start() throws Exception {
        server = fx.start(Settings.local());
    }

    static byte[] b(int... values) {
        byte[] out = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = (byte) values[i];
        }
        return out;
    }

    static Stream<Arguments> badInput() {
        byte[] valid = Mp.message("t", 1L, map("k", "v".repeat(50)), map("chunk", "x"));
        byte[] nested = new byte[3000];
        Arrays.fill(nested, (byte) 0x91);
        return Stream.of(
                Arguments.of(
                        "truncated frame",
                        Arrays.copyOf(valid, valid.length / 2),
                        true,
                        "truncated",
                        "ended in the middle of a message"),
                Arguments.of(
                        "wrong type: tag is an int",
                        pack(List.of(7L, 1L, map())),
                        false,
                        "malformed",
                        "tag: int (expected: str)"),
                Arguments.of(
                        "wrong type: message is a map",
                        pack(map("a", 1L)),
                        false,
                        "malformed",
                        "message: map (expected: an array, or nil)"),
                Arguments.of(
                        "wrong type: option is an int",
                        pack(List.of("t", 1L, map(), 3L)),
                        false,
                        "malformed",
                        "option: int (expected: map)"),
                Arguments.of(
                        "huge declared tag length",
                        concat(b(0x93, 0xdb, 0xff, 0xff, 0xff, 0xff), b('a', 'b')),
                        false,
                        "limit",
                        "tag: 4294967295 bytes (expected: <= 65535 bytes)"),
                Arguments.of(
                        "huge declared length inside entries",
                        Mp.packed("t", b(0x92, 0x01, 0x81, 0xa1, 'k', 0xdb, 0x7f, 0xff, 0xff, 0xff), null),
                        false,
                        "malformed",
                        "entries: an event reaching past the end of entries"),
                Arguments.of(
                        "invalid gzip",
                        Mp.packed(
                                "t",
                                concat(b(0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3), b(0xff, 0xff, 0xff, 0xff, 0xff)),
                                map("compressed", "gzip")),
                        false,
                        "decompression",
                        "entries: invalid gzip data"),
                Arguments.of(
                        "invalid EventTime length",
                        pack(List.of("t", new Ext(0, new byte[6]), map())),
                        false,
                        "malformed",
                        "time: EventTime of 6 bytes (expected: 8 bytes)"),
                Arguments.of(
                        "non-UTF-8 tag",
                        pack(List.of(new Str(b(0xc3, 0x28)), 1L, map())),
                        false,
                        "malformed",
                        "tag: invalid UTF-8"),
                Arguments.of(
                        "deeply nested record",
                        Mp.packed("t", concat(b(0x92, 0x01, 0x81, 0xa1, 'k'), nested, b(0x01)), null),
                        false,
                        "limit",
                        "nesting depth: > 1000 (expected: <= 1000)"),
                Arguments.of(
                        "ping without a handshake",
                        pack(List.of("PING", "h", "salt", "digest", "", "")),
                        false,
                        "malformed",
                        "message: array of 6"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource
    void badInput(String name, byte[] bad, boolean thenHalfClose, String reason, String logged) {
        try (RawClient good = new RawClient(server.localAddress());
                RawClient client = new RawClient(server.localAddress())) {
            int badPort = client.socket().getLocalPort();
            client.send(Mp.message("before", 1L, map("n", 1L), map("chunk", "acked")));
            assertThat(client.readValue().toString()).isEqualTo("{\"ack\":\"acked\"}");

            client.send(bad);
            if (thenHalfClose) {
                client.shutdownOutput();
            }
            assertThat(client.isClosedByServer()).isTrue();

            good.send(Mp.packed("after", entries(2L, map("n", 2L)), map("chunk", "still-working")));
            assertThat(good.readValue().toString()).isEqualTo("{\"ack\":\"still-working\"}");

            await().atMost(10, SECONDS)
                    .until(() -> !LogCapture.containing("127.0.0.1:" + badPort, logged)
                            .isEmpty());
            assertThat(registry.find("forward.errors")
                            .tag("reason", reason)
                            .counter()
                            .count())
                    .isEqualTo(1);
        }
        assertThat(sink.events())
                .contains(Event.of("before", 1, 0, map("n", 1L)), Event.of("after", 2, 0, map("n", 2L)));
        assertThat(server.activeConnections()).isBetween(0, 1);
    }
}
