package org.kinesisaggregator.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.kinesisaggregator.server.testing.Mp.map;
import static org.kinesisaggregator.server.testing.Mp.pack;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.kinesisaggregator.server.security.HandshakeAuthenticator;
import org.kinesisaggregator.server.testing.CollectingSink;
import org.kinesisaggregator.server.testing.Event;
import org.kinesisaggregator.server.testing.ForwardServerFixture;
import org.kinesisaggregator.server.testing.LeakCheck;
import org.kinesisaggregator.server.testing.LogCapture;
import org.kinesisaggregator.server.testing.Mp;
import org.kinesisaggregator.server.testing.RawClient;
import org.kinesisaggregator.server.testing.Settings;
import org.msgpack.value.Value;

/** {@code <security>}: the HELO / PING / PONG handshake of the forward protocol v1, spoken by hand. */
@ExtendWith(LeakCheck.class)
class SecurityHandshakeTest {
    @RegisterExtension
    final ForwardServerFixture fx = new ForwardServerFixture();

    private final CollectingSink sink = fx.sink;
    private final SimpleMeterRegistry registry = fx.registry;
    private ForwardServer server;

    private void start(SecuritySettings security) throws Exception {
        server = fx.start(Settings.local().security(security));
    }

    static SecuritySettings shared(String key) {
        return new SecuritySettings("aggregator.example", key, false, true, List.of(), List.of());
    }

    static byte[] bytes(Value v) {
        return v.isBinaryValue()
                ? v.asBinaryValue().asByteArray()
                : v.asStringValue().asByteArray();
    }

    /** Reads HELO and sends a PING made with {@code key}; returns the PONG. */
    static List<Value> handshake(RawClient client, String key, String user, String password) {
        List<Value> helo = client.readValue().asArrayValue().list();
        assertThat(helo.get(0).asStringValue().asString()).isEqualTo("HELO");
        var options = helo.get(1).asMapValue().map();
        byte[] nonce = null;
        byte[] auth = null;
        for (var e : options.entrySet()) {
            if (e.getKey().toString().equals("nonce")) {
                nonce = bytes(e.getValue());
            } else if (e.getKey().toString().equals("auth")) {
                auth = bytes(e.getValue());
            }
        }
        byte[] salt = "0123456789abcdef".getBytes(StandardCharsets.UTF_8);
        byte[] hostname = "forwarder.example".getBytes(StandardCharsets.UTF_8);
        String digest = HandshakeAuthenticator.sha512Hex(salt, hostname, nonce, key.getBytes(StandardCharsets.UTF_8));
        String passwordDigest = user.isEmpty()
                ? ""
                : HandshakeAuthenticator.sha512Hex(
                        auth, user.getBytes(StandardCharsets.UTF_8), password.getBytes(StandardCharsets.UTF_8));
        client.send(pack(List.of("PING", "forwarder.example", salt, digest, user, passwordDigest)));
        List<Value> pong = client.readValue().asArrayValue().list();
        if (pong.get(1).asBooleanValue().getBoolean()) {
            String expected = HandshakeAuthenticator.sha512Hex(
                    salt,
                    "aggregator.example".getBytes(StandardCharsets.UTF_8),
                    nonce,
                    key.getBytes(StandardCharsets.UTF_8));
            assertThat(pong.get(4).asStringValue().asString())
                    .as("server proves it knows the key")
                    .isEqualTo(expected);
        }
        return pong;
    }

    @Test
    void theRightSharedKeyOpensTheConnection() throws Exception {
        start(shared("s3cret"));
        try (RawClient client = new RawClient(server.localAddress())) {
            List<Value> pong = handshake(client, "s3cret", "", "");
            assertThat(pong.get(0).asStringValue().asString()).isEqualTo("PONG");
            assertThat(pong.get(1).asBooleanValue().getBoolean()).isTrue();
            assertThat(pong.get(3).asStringValue().asString()).isEqualTo("aggregator.example");
            client.send(Mp.message("auth", 1L, map("a", 1L), map("chunk", "c")));
            assertThat(client.readValue().toString()).isEqualTo("{\"ack\":\"c\"}");
        }
        assertThat(sink.events()).containsExactly(Event.of("auth", 1, 0, map("a", 1L)));
    }

    @Test
    void aWrongKeyGetsTheFailurePongAndIsClosed() throws Exception {
        start(shared("s3cret"));
        try (RawClient client = new RawClient(server.localAddress())) {
            int port = client.socket().getLocalPort();
            List<Value> pong = handshake(client, "wrong", "", "");
            assertThat(pong.toString()).isEqualTo("[PONG, false, shared_key mismatch, , ]");
            assertThat(client.isClosedByServer()).isTrue();
            await().atMost(10, TimeUnit.SECONDS)
                    .until(() -> !LogCapture.containing("Handshake with 127.0.0.1:" + port, "shared_key mismatch")
                            .isEmpty());
        }
        assertThat(registry.find("forward.handshake.failures").counter().count())
                .isEqualTo(1);
        assertThat(registry.find("forward.errors")
                        .tag("reason", "handshake")
                        .counter()
                        .count())
                .isEqualTo(1);
    }

    @Test
    void eventsInsteadOfAPingAreRefused() throws Exception {
        start(shared("s3cret"));
        try (RawClient client = new RawClient(server.localAddress())) {
            client.readValue();
            client.send(Mp.message("sneaky", 1L, map(), map("chunk", "c")));
            assertThat(client.readValue().toString()).isEqualTo("[\"PONG\",false,\"invalid ping message\",\"\",\"\"]");
            assertThat(client.isClosedByServer()).isTrue();
        }
        assertThat(sink.events()).isEmpty();
    }

    @Test
    void aPingSentWithoutReadingHeloCannotKnowTheNonce() throws Exception {
        start(shared("s3cret"));
        try (RawClient client = new RawClient(server.localAddress())) {
            byte[] salt = "salt".getBytes(StandardCharsets.UTF_8);
            String guessed = HandshakeAuthenticator.sha512Hex(
                    salt,
                    "h".getBytes(StandardCharsets.UTF_8),
                    new byte[16],
                    "s3cret".getBytes(StandardCharsets.UTF_8));
            client.send(pack(List.of("PING", "h", salt, guessed, "", "")));
            assertThat(client.readValue().asArrayValue().get(0).toString()).isEqualTo("HELO");
            assertThat(client.readValue().toString()).isEqualTo("[\"PONG\",false,\"shared_key mismatch\",\"\",\"\"]");
            assertThat(client.isClosedByServer()).isTrue();
        }
    }

    @Test
    void userAuthChecksTheSaltedPasswordDigest() throws Exception {
        start(new SecuritySettings(
                "aggregator.example",
                "k",
                true,
                true,
                List.of(new SecuritySettings.User("alice", "wonderland")),
                List.of()));
        try (RawClient ok = new RawClient(server.localAddress());
                RawClient bad = new RawClient(server.localAddress())) {
            assertThat(handshake(ok, "k", "alice", "wonderland")
                            .get(1)
                            .asBooleanValue()
                            .getBoolean())
                    .isTrue();
            assertThat(handshake(bad, "k", "alice", "guess").toString())
                    .isEqualTo("[PONG, false, username/password mismatch, , ]");
            assertThat(bad.isClosedByServer()).isTrue();
        }
    }

    @Test
    void clientRulesGivePerNetworkKeysUsersAndRefuseAnonymousSources() throws Exception {
        start(new SecuritySettings(
                "aggregator.example",
                "default-key",
                true,
                false,
                List.of(new SecuritySettings.User("alice", "a"), new SecuritySettings.User("bob", "b")),
                List.of(
                        new SecuritySettings.Client(null, "10.0.0.0/8", null, List.of()),
                        new SecuritySettings.Client(null, "127.0.0.0/8", "loopback-key", List.of("bob")))));
        try (RawClient c1 = new RawClient(server.localAddress());
                RawClient c2 = new RawClient(server.localAddress());
                RawClient c3 = new RawClient(server.localAddress())) {
            assertThat(handshake(c1, "default-key", "bob", "b").get(2).toString())
                    .isEqualTo("shared_key mismatch");
            assertThat(handshake(c2, "loopback-key", "alice", "a").get(2).toString())
                    .isEqualTo("username/password mismatch");
            assertThat(handshake(c3, "loopback-key", "bob", "b")
                            .get(1)
                            .asBooleanValue()
                            .getBoolean())
                    .isTrue();
        }
        SecuritySettings denied = new SecuritySettings(
                "aggregator.example",
                "k",
                false,
                false,
                List.of(),
                List.of(new SecuritySettings.Client(null, "10.0.0.0/8", null, List.of())));
        server.close();
        start(denied);
        try (RawClient c = new RawClient(server.localAddress())) {
            assertThat(handshake(c, "k", "", "").get(2).toString())
                    .isEqualTo("anonymous source host '127.0.0.1' denied");
        }
    }
}
