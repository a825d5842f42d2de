package org.kinesisaggregator.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.kinesisaggregator.server.testing.Mp.concat;
import static org.kinesisaggregator.server.testing.Mp.map;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.kinesisaggregator.server.testing.CollectingSink;
import org.kinesisaggregator.server.testing.Event;
import org.kinesisaggregator.server.testing.ForwardServerFixture;
import org.kinesisaggregator.server.testing.LeakCheck;
import org.kinesisaggregator.server.testing.LogCapture;
import org.kinesisaggregator.server.testing.Mp;
import org.kinesisaggregator.server.testing.RawClient;
import org.kinesisaggregator.server.testing.Settings;

/** {@code proxy_protocol}: the peer is the address in the PROXY v1/v2 header (an NLB with IP targets). */
@ExtendWith(LeakCheck.class)
class ProxyProtocolTest {
    @RegisterExtension
    final ForwardServerFixture fx = new ForwardServerFixture();

    private final CollectingSink sink = fx.sink;
    private final SimpleMeterRegistry registry = fx.registry;
    private ForwardServer server;

    private void start(Settings settings) throws Exception {
        server = fx.start(settings.proxyProtocol(true));
    }

    static byte[] v1(String source, int sourcePort) {
        return ("PROXY TCP4 " + source + " 127.0.0.1 " + sourcePort + " 24224\r\n").getBytes(StandardCharsets.US_ASCII);
    }

    static byte[] v2(byte[] source, int sourcePort) {
        ByteBuffer b = ByteBuffer.allocate(16 + 12);
        b.put(new byte[] {0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a});
        b.put((byte) 0x21).put((byte) 0x11).putShort((short) 12);
        b.put(source)
                .put(new byte[] {127, 0, 0, 1})
                .putShort((short) sourcePort)
                .putShort((short) 24224);
        return b.array();
    }

    @Test
    void v1AndV2HeadersSetThePeerAddress() throws Exception {
        start(Settings.local().sourceAddressKey("client_ip"));
        try (RawClient one = new RawClient(server.localAddress());
                RawClient two = new RawClient(server.localAddress())) {
            one.send(concat(v1("203.0.113.7", 5555), Mp.message("p1", 1L, map(), map("chunk", "a"))));
            two.send(v2(new byte[] {(byte) 198, 51, 100, 9}, 6666), Mp.message("p2", 2L, map(), map("chunk", "b")));
            assertThat(one.readValue().toString()).isEqualTo("{\"ack\":\"a\"}");
            assertThat(two.readValue().toString()).isEqualTo("{\"ack\":\"b\"}");
        }
        assertThat(sink.events())
                .containsExactlyInAnyOrder(
                        Event.of("p1", 1, 0, map("client_ip", "203.0.113.7")),
                        Event.of("p2", 2, 0, map("client_ip", "198.51.100.9")));
    }

    @Test
    void errorsNameTheProxiedPeer() throws Exception {
        start(Settings.local());
        try (RawClient client = new RawClient(server.localAddress())) {
            client.send(concat(v1("203.0.113.8", 4444), Mp.pack("not a message")));
            assertThat(client.isClosedByServer()).isTrue();
        }
        await().atMost(10, TimeUnit.SECONDS)
                .until(() -> !LogCapture.containing(
                                "from 203.0.113.8:4444", "message: str (expected: an array, or nil)")
                        .isEmpty());
    }

    @Test
    void aConnectionWithoutAHeaderIsClosed() throws Exception {
        start(Settings.local());
        try (RawClient client = new RawClient(server.localAddress())) {
            client.send(Mp.message("no.header", 1L, map(), map("chunk", "c")));
            assertThat(client.isClosedByServer()).isTrue();
        }
        await().atMost(10, TimeUnit.SECONDS)
                .until(() -> !LogCapture.containing("PROXY protocol header").isEmpty());
        assertThat(registry.find("forward.errors")
                        .tag("reason", "proxy")
                        .counter()
                        .count())
                .isEqualTo(1);
        assertThat(sink.events()).isEmpty();
    }

    @Test
    void clientRulesOfTheHandshakeUseTheProxiedAddress() throws Exception {
        start(Settings.local()
                .security(new SecuritySettings(
                        "aggregator.example",
                        "default",
                        false,
                        false,
                        List.of(),
                        List.of(new SecuritySettings.Client(null, "203.0.113.0/24", "nlb-key", List.of())))));
        try (RawClient allowed = new RawClient(server.localAddress());
                RawClient denied = new RawClient(server.localAddress())) {
            allowed.send(v1("203.0.113.20", 1000));
            denied.send(v1("192.0.2.1", 1001));
            assertThat(SecurityHandshakeTest.handshake(allowed, "nlb-key", "", "")
                            .get(1)
                            .asBooleanValue()
                            .getBoolean())
                    .isTrue();
            assertThat(SecurityHandshakeTest.handshake(denied, "default", "", "")
                            .get(2)
                            .toString())
                    .isEqualTo("anonymous source host '192.0.2.1' denied");
        }
    }
}
