package org.kinesisaggregator.server.output.forward;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.kinesisaggregator.server.testing.Mp.entries;
import static org.kinesisaggregator.server.testing.Mp.map;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.kinesisaggregator.buffer.Frame;
import org.kinesisaggregator.buffer.InMemoryChunk;
import org.kinesisaggregator.buffer.WriteResult;
import org.kinesisaggregator.server.ForwardServer;
import org.kinesisaggregator.server.SecuritySettings;
import org.kinesisaggregator.server.output.forward.ForwardOutputSettings.Heartbeat;
import org.kinesisaggregator.server.output.forward.ForwardOutputSettings.Server;
import org.kinesisaggregator.server.testing.CollectingSink;
import org.kinesisaggregator.server.testing.Event;
import org.kinesisaggregator.server.testing.LeakCheck;
import org.kinesisaggregator.server.testing.Mp.Time;
import org.kinesisaggregator.server.testing.Settings;
import org.kinesisaggregator.server.testing.TestCerts;

/**
 * {@code @type forward} output against our own forward input in the same JVM, over loopback: plain,
 * acks, gzip, shared key and user auth, TLS with a client certificate, weights and standby
 * failover, and an ack timeout whose retry the receiver dedups.
 */
@ExtendWith(LeakCheck.class)
class ForwardOutputTest {
    @TempDir
    Path dir;

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final List<AutoCloseable> closeables = new ArrayList<>();

    @AfterEach
    void tearDown() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
    }

    private record Receiver(ForwardServer server, CollectingSink sink) {
        int port() {
            return server.localAddress().getPort();
        }
    }

    private Receiver receiver(Settings settings) throws Exception {
        CollectingSink sink = new CollectingSink();
        closeables.add(sink);
        ForwardServer server = new ForwardServer(settings.build(), sink, registry);
        server.start();
        closeables.add(server::close);
        return new Receiver(server, sink);
    }

    private static Server server(String host, int port, String name, int weight, boolean standby) {
        return new Server(host, port, name, weight, standby, null, "", "");
    }

    private static ForwardOutputSettings settings(
            List<Server> servers,
            boolean ack,
            Duration ackTimeout,
            boolean gzip,
            ForwardOutputSettings.Security security,
            ForwardOutputSettings.Tls tls) {
        return new ForwardOutputSettings(
                servers,
                ack,
                ackTimeout,
                Duration.ofSeconds(10),
                Duration.ofSeconds(5),
                gzip,
                security,
                tls,
                Heartbeat.NONE,
                Duration.ofSeconds(1),
                Duration.ofSeconds(60),
                false,
                null);
    }

    private ForwardOutput output(ForwardOutputSettings settings) throws Exception {
        ForwardOutput out = new ForwardOutput("fwd", settings, registry, new Random(42));
        out.start();
        closeables.add(out);
        return out;
    }

    /** A chunk of events a.x, a.x, b.y (two tags: two messages). */
    private static InMemoryChunk chunk(String id) {
        byte[] a =
                entries(new Time(1_700_000_000, 5), map("msg", "one"), new Time(1_700_000_001, 0), map("msg", "two"));
        byte[] b = entries(new Time(1_700_000_002, 0), map("msg", "three"));
        return new InMemoryChunk(
                id,
                List.of(new Frame("a.x", ByteBuffer.wrap(a), 2, 0), new Frame("b.y", ByteBuffer.wrap(b), 1, 2)),
                Instant.now());
    }

    private static WriteResult write(ForwardOutput out, InMemoryChunk chunk) throws Exception {
        return out.write(chunk).get(30, TimeUnit.SECONDS);
    }

    private static List<String> tagsAndMessages(List<Event> events) {
        return events.stream().map(e -> e.tag() + ":" + e.record().get("msg")).toList();
    }

    private double counter(String name, String... tags) {
        return registry.get(name).tags(tags).counter().count();
    }

    @Test
    void plainMessagesArriveInOrderWithTagsAndTimes() throws Exception {
        Receiver r = receiver(Settings.local());
        ForwardOutput out = output(settings(
                List.of(server("127.0.0.1", r.port(), "a", 60, false)),
                false,
                Duration.ofSeconds(5),
                false,
                null,
                null));

        assertThat(write(out, chunk("c1")).isAllDelivered()).isTrue();

        // without acks the write completes once flushed: wait for the receiver to have them
        await().atMost(Duration.ofSeconds(10)).until(() -> r.sink().events().size() == 3);
        assertThat(tagsAndMessages(r.sink().events())).containsExactly("a.x:one", "a.x:two", "b.y:three");
        assertThat(r.sink().events().get(0).nanos()).isEqualTo(5);
        assertThat(counter("forward.output.connections", "server", "a", "result", "ok"))
                .isEqualTo(1);
    }

    @Test
    void withAcksAndGzipAWriteCompletesWhenAcked() throws Exception {
        Receiver r = receiver(Settings.local());
        ForwardOutput out = output(settings(
                List.of(server("127.0.0.1", r.port(), null, 60, false)),
                true,
                Duration.ofSeconds(10),
                true,
                null,
                null));

        WriteResult result = write(out, chunk("c1"));

        assertThat(result.isAllDelivered()).isTrue();
        assertThat(tagsAndMessages(r.sink().events())).containsExactly("a.x:one", "a.x:two", "b.y:three");
        assertThat(r.sink().dedupKeys()).hasSize(2);
        assertThat(registry.get("forward.messages")
                        .tags("mode", "compressed_packed_forward", "result", "ok")
                        .counter()
                        .count())
                .isEqualTo(2);
        assertThat(counter("forward.output.messages", "server", "127.0.0.1:" + r.port()))
                .isEqualTo(2);
    }

    @Test
    void sharedKeyAndUserAuthHandshake() throws Exception {
        SecuritySettings sec = new SecuritySettings(
                "receiver-host", "s3cret", true, true, List.of(new SecuritySettings.User("alice", "pw1")), List.of());
        Receiver r = receiver(Settings.local().security(sec));
        Server good = new Server("127.0.0.1", r.port(), "good", 60, false, null, "alice", "pw1");
        ForwardOutput out = output(settings(
                List.of(good),
                true,
                Duration.ofSeconds(10),
                false,
                new ForwardOutputSettings.Security("sender-host", "s3cret"),
                null));

        assertThat(write(out, chunk("c1")).isAllDelivered()).isTrue();
        assertThat(r.sink().events()).hasSize(3);

        Server wrongPassword = new Server("127.0.0.1", r.port(), "bad", 60, false, null, "alice", "nope");
        ForwardOutput bad = output(settings(
                List.of(wrongPassword),
                true,
                Duration.ofSeconds(10),
                false,
                new ForwardOutputSettings.Security("sender-host", "s3cret"),
                null));
        WriteResult refused = write(bad, chunk("c2"));
        assertThat(refused.isAllDelivered()).isFalse();
        assertThat(refused.failureReason()).contains("username/password mismatch");

        Server wrongKey = new Server("127.0.0.1", r.port(), "badkey", 60, false, "other", "alice", "pw1");
        ForwardOutput badKey = output(settings(
                List.of(wrongKey),
                true,
                Duration.ofSeconds(10),
                false,
                new ForwardOutputSettings.Security("sender-host", "s3cret"),
                null));
        assertThat(write(badKey, chunk("c3")).failureReason()).contains("shared_key mismatch");
        assertThat(r.sink().events()).hasSize(3);
        assertThat(counter("forward.output.connections", "server", "bad", "result", "failed"))
                .isEqualTo(1);
    }

    @Test
    void tlsWithHostnameVerificationAndAClientCertificate() throws Exception {
        Path certs = TestCerts.get().write(dir);
        Receiver r = receiver(Settings.local().tls(TestCerts.tls(certs, true, "TLSv1_2", false)));
        ForwardOutputSettings.Tls tls = new ForwardOutputSettings.Tls(
                List.of(certs.resolve("ca.pem")),
                certs.resolve("client.pem"),
                certs.resolve("client-key.pem"),
                null,
                true,
                false,
                "TLSv1_2",
                null,
                List.of());
        ForwardOutput out = output(settings(
                List.of(server("localhost", r.port(), "tls", 60, false)),
                true,
                Duration.ofSeconds(10),
                false,
                null,
                tls));

        assertThat(write(out, chunk("c1")).isAllDelivered()).isTrue();
        assertThat(r.sink().events()).hasSize(3);

        ForwardOutputSettings.Tls noClientCert = new ForwardOutputSettings.Tls(
                List.of(certs.resolve("ca.pem")), null, null, null, true, false, "TLSv1_2", null, List.of());
        ForwardOutput refused = output(settings(
                List.of(server("localhost", r.port(), "nocert", 60, false)),
                true,
                Duration.ofSeconds(10),
                false,
                null,
                noClientCert));
        assertThat(write(refused, chunk("c2")).isAllDelivered()).isFalse();
        assertThat(r.sink().events()).hasSize(3);
    }

    @Test
    void weightsChooseTheServerAndTheStandbyTakesOverWhenThePrimariesAreDown() throws Exception {
        Receiver a = receiver(Settings.local());
        Receiver b = receiver(Settings.local());
        Receiver standby = receiver(Settings.local());
        ForwardOutput out = output(settings(
                List.of(
                        server("127.0.0.1", a.port(), "a", 60, false),
                        server("127.0.0.1", b.port(), "b", 60, false),
                        server("127.0.0.1", standby.port(), "standby", 60, true)),
                true,
                Duration.ofSeconds(10),
                false,
                null,
                null));

        for (int i = 0; i < 20; i++) {
            assertThat(write(out, chunk("c" + i)).isAllDelivered()).isTrue();
        }
        assertThat(a.sink().events()).isNotEmpty();
        assertThat(b.sink().events()).isNotEmpty();
        assertThat(a.sink().events().size() + b.sink().events().size()).isEqualTo(60);
        assertThat(standby.sink().events()).isEmpty();

        a.server().close();
        b.server().close();
        for (int i = 0; i < 5; i++) {
            assertThat(write(out, chunk("d" + i)).isAllDelivered()).isTrue();
        }
        assertThat(standby.sink().events()).hasSize(15);
        assertThat(registry.get("forward.output.server.available")
                        .tags("server", "a")
                        .gauge()
                        .value())
                .isZero();
    }

    @Test
    void anAckTimeoutFailsTheWriteAndTheRetryIsDedupedByTheReceiver() throws Exception {
        Receiver r = receiver(Settings.local());
        ForwardOutputSettings s = new ForwardOutputSettings(
                List.of(server("127.0.0.1", r.port(), "slow", 60, false)),
                true,
                Duration.ofMillis(300),
                Duration.ofSeconds(10),
                Duration.ofSeconds(5),
                false,
                null,
                null,
                Heartbeat.NONE,
                Duration.ofSeconds(1),
                Duration.ofMillis(1), // tried again at once
                false,
                null);
        ForwardOutput out = output(s);
        InMemoryChunk chunk = chunk("c1");

        r.sink().mode(CollectingSink.Mode.HOLD); // stored, but the ack comes too late
        WriteResult first = write(out, chunk);
        assertThat(first.isAllDelivered()).isFalse();
        assertThat(first.failureReason()).contains("ack_response_timeout");
        assertThat(counter("forward.output.ack.timeouts", "server", "slow")).isGreaterThanOrEqualTo(1);
        r.sink().releaseHeld(); // the late acks go to a closed connection

        chunk.apply(first);
        WriteResult retry = write(out, chunk);
        assertThat(retry.isAllDelivered()).isTrue();
        assertThat(tagsAndMessages(r.sink().events()))
                .as("every event once: the re-send carries the same chunk ids and is deduped")
                .containsExactly("a.x:one", "a.x:two", "b.y:three");
    }

    private static ForwardOutputSettings withLiveness(
            List<Server> servers, Heartbeat heartbeat, Duration hardTimeout, boolean keepalive) {
        return new ForwardOutputSettings(
                servers,
                true,
                Duration.ofSeconds(10),
                Duration.ofSeconds(10),
                Duration.ofSeconds(5),
                false,
                null,
                null,
                heartbeat,
                Duration.ofMillis(50),
                hardTimeout,
                keepalive,
                null);
    }

    private double available(String server) {
        return registry.get("forward.output.server.available")
                .tags("server", server)
                .gauge()
                .value();
    }

    @Test
    void keepaliveReusesTheConnectionAndWithoutItEveryWriteConnects() throws Exception {
        Receiver r = receiver(Settings.local());
        ForwardOutput kept = output(withLiveness(
                List.of(server("127.0.0.1", r.port(), "kept", 60, false)),
                Heartbeat.NONE,
                Duration.ofSeconds(60),
                true));
        ForwardOutput fresh = output(withLiveness(
                List.of(server("127.0.0.1", r.port(), "fresh", 60, false)),
                Heartbeat.NONE,
                Duration.ofSeconds(60),
                false));
        for (int i = 0; i < 3; i++) {
            assertThat(write(kept, chunk("k" + i)).isAllDelivered()).isTrue();
            assertThat(write(fresh, chunk("f" + i)).isAllDelivered()).isTrue();
        }
        assertThat(counter("forward.output.connections", "server", "kept", "result", "ok"))
                .isEqualTo(1);
        assertThat(counter("forward.output.connections", "server", "fresh", "result", "ok"))
                .isEqualTo(3);
        assertThat(r.sink().events()).hasSize(18);
    }

    @ParameterizedTest
    @EnumSource(
            value = Heartbeat.class,
            names = {"TRANSPORT", "UDP"})
    void aServerThatFailedComesBackWhenAHeartbeatReachesIt(Heartbeat heartbeat) throws Exception {
        Receiver first = receiver(Settings.local());
        int port = first.port();
        ForwardOutput out = output(withLiveness(
                List.of(server("127.0.0.1", port, "hb", 60, false)), heartbeat, Duration.ofSeconds(600), false));
        assertThat(write(out, chunk("c0")).isAllDelivered()).isTrue();

        first.server().close();
        WriteResult whileDown = write(out, chunk("c1")); // cannot connect: marked down for hard_timeout
        assertThat(whileDown.isAllDelivered()).isFalse();
        assertThat(available("hb")).isZero();

        Receiver second = receiver(Settings.local().port(port)); // the same port again
        await().atMost(Duration.ofSeconds(10)).until(() -> available("hb") == 1);
        assertThat(write(out, chunk("c2")).isAllDelivered()).isTrue();
        assertThat(second.sink().events()).hasSize(3);
    }
}
