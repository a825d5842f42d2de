package org.kinesisaggregator.server.clients;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.kinesisaggregator.server.ForwardServer;
import org.kinesisaggregator.server.SecuritySettings;
import org.kinesisaggregator.server.testing.ChildProcess;
import org.kinesisaggregator.server.testing.CollectingSink;
import org.kinesisaggregator.server.testing.Event;
import org.kinesisaggregator.server.testing.ForwardServerFixture;
import org.kinesisaggregator.server.testing.Json;
import org.kinesisaggregator.server.testing.LeakCheck;
import org.kinesisaggregator.server.testing.LogCapture;
import org.kinesisaggregator.server.testing.Settings;
import org.kinesisaggregator.server.testing.TestCerts;

/**
 * The npm fluent-logger 3.4.1 as a real {@code node} child process (tools/node/forward-client.js):
 * Message mode with EventTime and acks, PackedForward and gzip CompressedPackedForward, the
 * shared-key handshake, TLS.
 */
@ExtendWith(LeakCheck.class)
class NodeClientIT {
    @TempDir
    Path dir;

    @RegisterExtension
    final ForwardServerFixture fx = new ForwardServerFixture();

    private final CollectingSink sink = fx.sink;
    private final SimpleMeterRegistry registry = fx.registry;
    private ForwardServer server;

    private void start(Settings settings) throws Exception {
        server = fx.start(settings);
    }

    private ChildProcess.Result runNode(Map<String, Object> config) throws Exception {
        config.putIfAbsent("host", "127.0.0.1");
        config.put("port", server.localAddress().getPort());
        Path file = dir.resolve("node-config.json");
        Files.writeString(file, Json.of(config));
        Path script = ChildProcess.projectRoot().resolve("tools/node/forward-client.js");
        return ChildProcess.run(List.of("node", script.toString(), file.toString()), 60);
    }

    /** Events with EventTime (nanoseconds) and the Event each must become. */
    private static List<Map<String, Object>> events(
            int count, List<Event> expected, String tagPrefix, boolean eventTime) {
        List<Map<String, Object>> events = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String label = i % 3 == 0 ? "alpha" : "beta";
            Map<String, Object> record = new LinkedHashMap<>();
            record.put("seq", (long) i);
            record.put("message", "line " + i + " ünïcødé");
            record.put("tags", List.of("a", "b"));
            record.put("ok", i % 2 == 0);
            Map<String, Object> event = new LinkedHashMap<>();
            event.put("label", label);
            event.put("record", record);
            if (eventTime) {
                event.put("time", Map.of("epoch", 1_700_000_000L + i, "nano", 1000L * i + 7));
                expected.add(Event.of(tagPrefix + "." + label, 1_700_000_000L + i, 1000 * i + 7, record));
            } else {
                event.put("time", 1_650_000_000L + i);
                expected.add(Event.of(tagPrefix + "." + label, 1_650_000_000L + i, 0, record));
            }
            events.add(event);
        }
        return events;
    }

    private Map<String, Object> config(String tagPrefix, String mode, boolean ack, List<Map<String, Object>> events) {
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("tagPrefix", tagPrefix);
        config.put("eventMode", mode);
        config.put("requireAckResponse", ack);
        config.put("events", events);
        return config;
    }

    @Test
    void messageModeWithEventTimeAndAcks() throws Exception {
        start(Settings.local());
        List<Event> expected = new ArrayList<>();
        ChildProcess.Result result = runNode(config("node", "Message", true, events(30, expected, "node", true)));
        assertThat(result.exitCode()).as(result.stdout() + result.stderr()).isZero();
        assertThat(result.stdout().trim()).isEqualTo("{\"sent\":30}");
        assertThat(sink.events()).isEqualTo(expected);
        assertThat(registry.find("forward.acks").counter().count()).isEqualTo(30);
    }

    @Test
    void messageModeWithIntegerTimesWithoutAcks() throws Exception {
        start(Settings.local());
        List<Event> expected = new ArrayList<>();
        ChildProcess.Result result = runNode(config("plain", "Message", false, events(10, expected, "plain", false)));
        assertThat(result.exitCode()).as(result.stdout() + result.stderr()).isZero();
        await().atMost(20, TimeUnit.SECONDS).until(() -> sink.events().size() == 10);
        assertThat(sink.events()).isEqualTo(expected);
    }

    @Test
    void packedAndGzipCompressedPackedForwardWithAcks() throws Exception {
        start(Settings.local());
        for (String mode : List.of("PackedForward", "CompressedPackedForward")) {
            List<Event> expected = new ArrayList<>();
            ChildProcess.Result result = runNode(config(mode, mode, true, events(200, expected, mode, true)));
            assertThat(result.exitCode()).as(result.stdout() + result.stderr()).isZero();
            List<Event> got = sink.events().stream()
                    .filter(e -> e.tag().startsWith(mode + "."))
                    .toList();
            assertThat(got).containsExactlyInAnyOrderElementsOf(expected);
        }
        assertThat(registry.find("forward.messages")
                        .tag("mode", "compressed_packed_forward")
                        .tag("result", "ok")
                        .counter()
                        .count())
                .isGreaterThanOrEqualTo(1);
    }

    @Test
    void sharedKeyHandshake() throws Exception {
        start(Settings.local()
                .security(
                        new SecuritySettings("aggregator.example", "node-secret", false, true, List.of(), List.of())));
        List<Event> expected = new ArrayList<>();
        Map<String, Object> config = config("secure", "Message", true, events(5, expected, "secure", true));
        config.put(
                "security",
                Map.of("clientHostname", "node.example", "sharedKey", "node-secret", "username", "", "password", ""));
        ChildProcess.Result result = runNode(config);
        assertThat(result.exitCode()).as(result.stdout() + result.stderr()).isZero();
        assertThat(sink.events()).isEqualTo(expected);

        config.put(
                "security",
                Map.of("clientHostname", "node.example", "sharedKey", "wrong", "username", "", "password", ""));
        config.put("timeoutMillis", 10000);
        ChildProcess.Result refused = runNode(config);
        assertThat(refused.exitCode()).isNotZero();
        assertThat(refused.stdout()).contains("shared_key mismatch");
        await().atMost(10, TimeUnit.SECONDS)
                .until(() -> !LogCapture.containing(
                                "Handshake with 127.0.0.1:", "client hostname node.example", "shared_key mismatch")
                        .isEmpty());
        assertThat(sink.events()).hasSize(5);
    }

    @Test
    void tlsWithAClientCertificate() throws Exception {
        TestCerts certs = TestCerts.get();
        certs.write(dir);
        start(Settings.local().tls(TestCerts.tls(dir, true, "TLSv1_2", false)));
        List<Event> expected = new ArrayList<>();
        Map<String, Object> config = config("tls", "Message", true, events(5, expected, "tls", true));
        config.put(
                "tls",
                Map.of(
                        "ca",
                        dir.resolve("ca.pem").toString(),
                        "cert",
                        dir.resolve("client.pem").toString(),
                        "key",
                        dir.resolve("client-key.pem").toString()));
        ChildProcess.Result result = runNode(config);
        assertThat(result.exitCode()).as(result.stdout() + result.stderr()).isZero();
        assertThat(sink.events()).isEqualTo(expected);
    }
}
