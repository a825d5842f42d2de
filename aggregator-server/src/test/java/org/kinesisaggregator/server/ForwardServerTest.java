package org.kinesisaggregator.server;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.kinesisaggregator.server.testing.Mp.concat;
import static org.kinesisaggregator.server.testing.Mp.entries;
import static org.kinesisaggregator.server.testing.Mp.map;
import static org.kinesisaggregator.server.testing.Mp.pack;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.kinesisaggregator.buffer.BufferOverflowException;
import org.kinesisaggregator.server.testing.CollectingSink;
import org.kinesisaggregator.server.testing.Event;
import org.kinesisaggregator.server.testing.ForwardServerFixture;
import org.kinesisaggregator.server.testing.LeakCheck;
import org.kinesisaggregator.server.testing.LogCapture;
import org.kinesisaggregator.server.testing.Mp;
import org.kinesisaggregator.server.testing.Mp.Time;
import org.kinesisaggregator.server.testing.RawClient;
import org.kinesisaggregator.server.testing.Settings;
import org.msgpack.value.Value;

/** The server on a real loopback socket with hand-made messages: acks, failures, back-pressure, drain. */
@ExtendWith(LeakCheck.class)
class ForwardServerTest {
    @RegisterExtension
    final ForwardServerFixture fx = new ForwardServerFixture();

    private final CollectingSink sink = fx.sink;
    private final SimpleMeterRegistry registry = fx.registry;

    private ForwardServer start(Settings settings) throws Exception {
        return fx.start(settings);
    }

    static byte[] ack(Object chunk) {
        return concat(new byte[] {(byte) 0x81}, pack("ack"), pack(chunk));
    }

    double counter(String name, String... tags) {
        var search = registry.find(name);
        if (tags.length > 0) {
            search = search.tags(tags);
        }
        var c = search.counter();
        return c == null ? 0 : c.count();
    }

    @Test
    void acksOnlyAfterTheSinkCompletedAndEchoesTheChunkByteForByte() throws Exception {
        ForwardServer server = start(Settings.local());
        sink.mode(CollectingSink.Mode.HOLD);
        String chunk = "p8n9gmxTQVC8/nh2wlKKeQ==\n";
        try (RawClient client = new RawClient(server.localAddress())) {
            client.send(Mp.packedStr32(
                    "app.log",
                    entries(new Time(1_700_000_000, 5), map("msg", "hi")),
                    map("size", 1L, "chunk", chunk, "compressed", "text")));
            await().atMost(10, SECONDS).until(() -> sink.heldCount() == 1);
            assertThat(client.available())
                    .as("no ack before the sink completed")
                    .isZero();

            sink.releaseHeld();

            assertThat(client.read(ack(chunk).length)).isEqualTo(ack(chunk));
            assertThat(sink.events()).containsExactly(Event.of("app.log", 1_700_000_000, 5, map("msg", "hi")));
            assertThat(sink.dedupKeys()).containsExactly(chunk.getBytes(StandardCharsets.UTF_8));
            byte[] binChunk = {0, 1, 2, (byte) 0xfe};
            client.send(Mp.message("t", 1L, map(), map("chunk", binChunk)));
            assertThat(client.read(ack(binChunk).length)).isEqualTo(ack(binChunk));
        }
        assertThat(counter("forward.acks")).isEqualTo(2);
        assertThat(counter("forward.messages", "mode", "packed_forward", "result", "ok"))
                .isEqualTo(1);
    }

    @Test
    void pipelinedMessagesOfEveryModeAreAllAcked() throws Exception {
        ForwardServer server = start(Settings.local());
        List<byte[]> messages = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            String id = "chunk-" + i;
            messages.add(
                    switch (i % 4) {
                        case 0 -> Mp.message("m", (long) i + 1, map("i", (long) i), map("chunk", id));
                        case 1 -> Mp.forward("f", List.of(List.of((long) i + 1, map("i", (long) i))), map("chunk", id));
                        case 2 -> Mp.packed("p", entries((long) i + 1, map("i", (long) i)), map("chunk", id));
                        default ->
                            Mp.packed(
                                    "g",
                                    Mp.gzip(entries((long) i + 1, map("i", (long) i))),
                                    map("chunk", id, "compressed", "gzip"));
                    });
        }
        try (RawClient client = new RawClient(server.localAddress())) {
            client.send(concat(messages.toArray(new byte[0][])));
            Set<String> acked = new HashSet<>();
            for (int i = 0; i < 100; i++) {
                Value ackMessage = client.readValue();
                acked.add(ackMessage
                        .asMapValue()
                        .map()
                        .values()
                        .iterator()
                        .next()
                        .asStringValue()
                        .asString());
            }
            assertThat(acked).hasSize(100);
        }
        assertThat(sink.events()).hasSize(100);
        assertThat(sink.events().stream().map(e -> e.record().get("i")).toList())
                .containsExactlyInAnyOrderElementsOf(
                        LongStream.range(0, 100).boxed().toList());
    }

    @Test
    void aFailedAppendSendsNoAckLogsAndClosesOnlyThatConnection() throws Exception {
        ForwardServer server = start(Settings.local());
        try (RawClient other = new RawClient(server.localAddress());
                RawClient client = new RawClient(server.localAddress())) {
            sink.failWith(() -> new BufferOverflowException("buffer full: total_limit_size reached"));
            client.send(Mp.message("t.fail", 1L, map("a", 1L), map("chunk", "c1")));
            assertThat(client.isClosedByServer()).isTrue();
            assertThat(client.available()).isLessThanOrEqualTo(0);

            sink.mode(CollectingSink.Mode.COMPLETE);
            other.send(Mp.message("t.ok", 2L, map("b", 2L), map("chunk", "c2")));
            assertThat(other.read(ack("c2").length)).isEqualTo(ack("c2"));
        }
        assertThat(sink.events()).containsExactly(Event.of("t.ok", 2, 0, map("b", 2L)));
        assertThat(LogCapture.containing(
                        "Append of 1 event(s) from 127.0.0.1:",
                        "tag=t.fail",
                        "no ack sent",
                        "buffer full: total_limit_size reached"))
                .hasSize(1);
        assertThat(counter("forward.errors", "reason", "append_failed")).isEqualTo(1);
        assertThat(counter("forward.messages", "mode", "message", "result", "failed"))
                .isEqualTo(1);
    }

    @Test
    void appendsInFlightPerConnectionAreBoundedThenTheRestFollows() throws Exception {
        ForwardServer server = start(Settings.local());
        sink.mode(CollectingSink.Mode.HOLD);
        int total = 500;
        byte[][] messages = new byte[total][];
        for (int i = 0; i < total; i++) {
            messages[i] = Mp.message("bp", (long) i + 1, map("i", (long) i), null);
        }
        try (RawClient client = new RawClient(server.localAddress())) {
            client.send(concat(messages));
            await().atMost(10, SECONDS)
                    .until(() -> sink.heldCount() == ForwardServer.Tuning.DEFAULT.maxInFlightAppends());
            // everything was sent; the server still hands the sink no more than the bound
            client.send(Mp.message("bp", 9999L, map("i", -1L), map("chunk", "last")));
            assertThat(sink.appends()).isEqualTo(ForwardServer.Tuning.DEFAULT.maxInFlightAppends());

            sink.releaseHeld();

            assertThat(client.read(ack("last").length)).isEqualTo(ack("last"));
            assertThat(sink.events()).hasSize(total + 1);
            List<Object> order =
                    sink.events().stream().map(e -> e.record().get("i")).toList();
            assertThat(order.subList(0, total))
                    .isEqualTo(LongStream.range(0, total).boxed().toList());
        }
    }

    @Test
    void aBigMessageIsStreamedIntoTheSinkAndAckedAfterTheCommit() throws Exception {
        ForwardServer server = start(Settings.local());
        List<Object> values = new ArrayList<>();
        List<Event> expected = new ArrayList<>();
        for (int i = 0; i < 30_000; i++) {
            Map<String, Object> record = map("seq", (long) i, "line", "GET /index.html " + i + " " + "x".repeat(60));
            values.add(List.of(new Time(1_700_000_000L + i, i), record));
            expected.add(Event.of("big", 1_700_000_000L + i, i, record));
        }
        byte[] entries = pack(values.toArray());
        assertThat(entries.length).isGreaterThan(2 * 1024 * 1024);
        try (RawClient client = new RawClient(server.localAddress())) {
            client.send(Mp.packedStr32("big", entries, map("chunk", "big-1\n", "size", 30_000L)));
            assertThat(client.read(ack("big-1\n").length)).isEqualTo(ack("big-1\n"));
        }
        assertThat(sink.streams()).isEqualTo(1);
        assertThat(sink.commits()).isEqualTo(1);
        assertThat(sink.pieces()).isGreaterThan(3);
        assertThat(sink.appends()).isZero();
        assertThat(sink.events()).isEqualTo(expected);
    }

    @Test
    void aConnectionThatDiesMidStreamLeavesNothingBehind() throws Exception {
        ForwardServer server = start(Settings.local());
        List<Object> values = new ArrayList<>();
        for (int i = 0; i < 40_000; i++) {
            values.add(List.of((long) i + 1, map("pad", "y".repeat(80))));
        }
        byte[] message = Mp.packed("dies", pack(values.toArray()), map("chunk", "never"));
        try (RawClient client = new RawClient(server.localAddress())) {
            client.send(Arrays.copyOf(message, message.length / 2));
            await().atMost(10, SECONDS).until(() -> sink.pieces() > 1);
        }
        await().atMost(10, SECONDS).until(() -> sink.abandons() == 1);
        assertThat(sink.commits()).isZero();
        assertThat(sink.events()).isEmpty();
        await().atMost(10, SECONDS)
                .until(() -> !LogCapture.containing("ended in the middle of a message", "tag dies")
                        .isEmpty());
        assertThat(counter("forward.errors", "reason", "truncated")).isEqualTo(1);
    }

    @Test
    void denyKeepaliveClosesAfterTheFirstMessageAndItsAck() throws Exception {
        ForwardServer server = start(Settings.local().denyKeepalive(true));
        try (RawClient client = new RawClient(server.localAddress())) {
            client.send(Mp.message("k", 1L, map(), map("chunk", "one")));
            assertThat(client.read(ack("one").length)).isEqualTo(ack("one"));
            assertThat(client.isClosedByServer()).isTrue();
        }
    }

    @Test
    void tagPrefixAndSourceKeysAreAddedToEveryRecord() throws Exception {
        ForwardServer server = start(
                Settings.local().addTagPrefix("agg").sourceAddressKey("src_ip").sourceHostnameKey("src_host"));
        String hostname = InetAddress.getByName("127.0.0.1").getHostName();
        try (RawClient client = new RawClient(server.localAddress())) {
            client.send(
                    Mp.message("web", 1L, map("src_ip", "spoofed", "a", 1L), map("chunk", "1")),
                    Mp.packed("web", entries(2L, map("b", 2L), 3L, map()), map("chunk", "2")));
            client.read(ack("1").length);
            client.read(ack("2").length);
        }
        assertThat(sink.events())
                .containsExactly(
                        Event.of("agg.web", 1, 0, map("a", 1L, "src_ip", "127.0.0.1", "src_host", hostname)),
                        Event.of("agg.web", 2, 0, map("b", 2L, "src_ip", "127.0.0.1", "src_host", hostname)),
                        Event.of("agg.web", 3, 0, map("src_ip", "127.0.0.1", "src_host", hostname)));
    }

    @Test
    void chunkSizeLimitDropsWithALogLineAndTheConnectionGoesOn() throws Exception {
        ForwardServer server = start(Settings.local().chunkSizeLimit(1000).chunkSizeWarnLimit(100));
        try (RawClient client = new RawClient(server.localAddress())) {
            client.send(
                    Mp.message("huge", 1L, map("pad", "z".repeat(2000)), map("chunk", "h")),
                    Mp.message("warned", 1L, map("pad", "z".repeat(200)), map("chunk", "w")));
            assertThat(client.read(ack("w").length)).isEqualTo(ack("w"));
        }
        assertThat(sink.events()).extracting(Event::tag).containsExactly("warned");
        assertThat(LogCapture.containing("larger than chunk_size_limit", "127.0.0.1:", "tag=huge", "limit=1000"))
                .hasSize(1);
        assertThat(LogCapture.containing("larger than chunk_size_warn_limit", "tag=warned", "limit=100"))
                .hasSize(1);
        assertThat(counter("forward.messages", "mode", "message", "result", "dropped"))
                .isEqualTo(1);
    }

    @Test
    void skipInvalidEventFalseRefusesTheMessageAndSaysSo() throws Exception {
        ForwardServer server = start(Settings.local().skipInvalidEvent(false));
        try (RawClient client = new RawClient(server.localAddress())) {
            client.send(Mp.packed(
                    "strict", concat(entries(1L, map("ok", 1L)), pack(List.of(2L, "not a map"))), map("chunk", "s")));
            assertThat(client.isClosedByServer()).isTrue();
        }
        assertThat(sink.events()).isEmpty();
        assertThat(LogCapture.containing(
                        "Refused a message from 127.0.0.1:", "skip_invalid_event false", "record: str (expected: map)"))
                .hasSize(1);
        assertThat(counter("forward.errors", "reason", "invalid_event")).isEqualTo(1);
    }

    @Test
    void skippedEventsAreLoggedCountedAndTheRestAcked() throws Exception {
        ForwardServer server = start(Settings.local());
        try (RawClient client = new RawClient(server.localAddress())) {
            client.send(Mp.packed(
                    "lenient", concat(entries(1L, map("ok", 1L)), pack(List.of(2L, "not a map"))), map("chunk", "s")));
            assertThat(client.read(ack("s").length)).isEqualTo(ack("s"));
        }
        assertThat(sink.events()).containsExactly(Event.of("lenient", 1, 0, map("ok", 1L)));
        assertThat(LogCapture.containing(
                        "Skipped 1 invalid event(s) from 127.0.0.1:",
                        "tag=lenient",
                        "event 2: record: str (expected: map)"))
                .hasSize(1);
        assertThat(counter("forward.events.skipped")).isEqualTo(1);
    }

    @Test
    void udpHeartbeatsAreAnsweredOnTheSamePort() throws Exception {
        ForwardServer server = start(Settings.local());
        try (DatagramSocket udp = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            udp.setSoTimeout(10_000);
            udp.send(new DatagramPacket(new byte[] {0}, 1, server.localAddress()));
            DatagramPacket answer = new DatagramPacket(new byte[16], 16);
            udp.receive(answer);
            assertThat(answer.getLength()).isEqualTo(1);
            assertThat(answer.getData()[0]).isZero();
        }
        assertThat(counter("forward.heartbeats")).isEqualTo(1);
    }

    @Test
    void drainFinishesTheMessageBeingReceivedThenCloses() throws Exception {
        ForwardServer server = start(Settings.local());
        byte[] message = Mp.message("drain", 1L, map("pad", "d".repeat(100)), map("chunk", "in-flight"));
        InetSocketAddress address = server.localAddress();
        try (RawClient busy = new RawClient(address);
                RawClient idle = new RawClient(address)) {
            busy.send(Arrays.copyOf(message, 20));
            await().atMost(10, SECONDS).until(() -> server.activeConnections() == 2);
            CompletableFuture<Void> drain = CompletableFuture.runAsync(() -> server.drain(Duration.ofSeconds(20)));

            assertThat(idle.isClosedByServer()).isTrue();
            busy.send(Arrays.copyOfRange(message, 20, message.length));
            assertThat(busy.read(ack("in-flight").length)).isEqualTo(ack("in-flight"));
            assertThat(busy.isClosedByServer()).isTrue();
            drain.get(20, SECONDS);
        }
        assertThat(sink.events()).containsExactly(Event.of("drain", 1, 0, map("pad", "d".repeat(100))));
        AtomicBoolean refused = new AtomicBoolean();
        try (Socket s = new Socket()) {
            s.connect(address, 2000);
        } catch (IOException e) {
            refused.set(true);
        }
        assertThat(refused).isTrue();
    }

    @Test
    void jsonRequestsAreAckedInJson() throws Exception {
        ForwardServer server = start(Settings.local());
        try (RawClient client = new RawClient(server.localAddress())) {
            client.send("[\"json.tag\", 1700000000, {\"k\": \"v\"}, {\"chunk\": \"j1\"}]\n"
                    .getBytes(StandardCharsets.UTF_8));
            byte[] expected = "{\"ack\":\"j1\"}".getBytes(StandardCharsets.UTF_8);
            assertThat(client.read(expected.length)).isEqualTo(expected);
            client.send("[\"json.fwd\", [[1700000001.5, {\"n\": 1}]], {\"chunk\": \"j2\"}]"
                    .getBytes(StandardCharsets.UTF_8));
            expected = "{\"ack\":\"j2\"}".getBytes(StandardCharsets.UTF_8);
            assertThat(client.read(expected.length)).isEqualTo(expected);
        }
        assertThat(sink.events())
                .containsExactly(
                        Event.of("json.tag", 1_700_000_000L, 0, map("k", "v")),
                        Event.of("json.fwd", 1_700_000_001L, 500_000_000, map("n", 1L)));
    }

    @Test
    void zstdEntriesAndFluentBitMetadataOverTheSocket() throws Exception {
        ForwardServer server = start(Settings.local().eventMetadataKey("fluentbit"));
        try (RawClient client = new RawClient(server.localAddress())) {
            client.send(Mp.packed(
                    "z",
                    Mp.zstd(entries(new Time(5, 6), map("a", 1L)), entries(7L, map("b", 2L))),
                    map("chunk", "zs", "compressed", "zstd")));
            client.send(Mp.forward(
                    "fb",
                    List.of(List.of(List.of(new Time(8, 9), map("otlp", "x")), map("log", "l"))),
                    map("chunk", "fb")));
            assertThat(client.read(ack("zs").length)).isEqualTo(ack("zs"));
            assertThat(client.read(ack("fb").length)).isEqualTo(ack("fb"));
        }
        assertThat(sink.events())
                .containsExactly(
                        Event.of("z", 5, 6, map("a", 1L)),
                        Event.of("z", 7, 0, map("b", 2L)),
                        Event.of("fb", 8, 9, map("log", "l", "fluentbit", map("otlp", "x"))));
    }

    @Test
    void metricsCountConnectionsMessagesEventsAndBytes() throws Exception {
        ForwardServer server = start(Settings.local());
        byte[] message = Mp.message("m", 1L, map("a", 1L), map("chunk", "x"));
        try (RawClient client = new RawClient(server.localAddress())) {
            client.send(message);
            client.read(ack("x").length);
            assertThat(registry.find("forward.connections.active").gauge().value())
                    .isEqualTo(1);
        }
        await().atMost(10, SECONDS)
                .until(() -> registry.find("forward.connections.active").gauge().value() == 0);
        assertThat(counter("forward.connections.total")).isEqualTo(1);
        assertThat(counter("forward.events")).isEqualTo(1);
        assertThat(counter("forward.bytes")).isEqualTo(message.length);
        // the configured port (0 here): the meters exist before the port is bound
        assertThat(registry.getMeters())
                .allSatisfy(m -> assertThat(m.getId().getTag("port")).isEqualTo("0"));
    }
}
