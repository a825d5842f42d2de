package org.kinesisaggregator.server;

import static java.util.concurrent.TimeUnit.MILLISECONDS;
import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.kinesisaggregator.server.testing.Mp.map;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
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
import org.msgpack.core.MessageInsufficientBufferException;
import org.msgpack.core.MessagePack;
import org.msgpack.core.MessageUnpacker;
import org.msgpack.value.Value;

/** idle_timeout, message_timeout, max_connections and unread_ack_timeout on real loopback sockets. */
@ExtendWith(LeakCheck.class)
class ConnectionLimitsTest {
    @RegisterExtension
    final ForwardServerFixture fx = new ForwardServerFixture();

    private final CollectingSink sink = fx.sink;
    private final SimpleMeterRegistry registry = fx.registry;
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private ForwardServer server;

    @BeforeEach
    void clearLog() {
        LogCapture.clear();
    }

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : closeables) {
            c.close();
        }
    }

    private void start(ConnectionLimits limits) throws Exception {
        server = fx.start(Settings.local().limits(limits));
    }

    private RawClient client() {
        RawClient c = new RawClient(server.localAddress());
        closeables.add(c);
        return c;
    }

    private double counter(String name, String reason) {
        var c = registry.find(name).tag("reason", reason).counter();
        return c == null ? 0 : c.count();
    }

    private static void roundTrip(RawClient client, String chunk) {
        client.send(Mp.message("good", 1L, map("c", chunk), map("chunk", chunk)));
        assertThat(client.readValue().toString()).isEqualTo("{\"ack\":\"" + chunk + "\"}");
    }

    @Test
    void anIdleConnectionIsClosedAfterIdleTimeout() throws Exception {
        start(ConnectionLimits.DEFAULT.withIdleTimeout(Duration.ofMillis(500)));
        RawClient client = client();
        roundTrip(client, "before-idle");

        assertThat(client.isClosedByServer())
                .as("closed by the server within the read timeout")
                .isTrue();
        await().atMost(10, SECONDS).until(() -> counter("forward.connections.timed.out", "idle_timeout") == 1);
        assertThat(LogCapture.containing("Closing forward connection from 127.0.0.1:", "idle_timeout 0.5 s"))
                .singleElement()
                .satisfies(l -> assertThat(l.level()).isEqualTo("INFO"));
        assertThat(sink.events()).hasSize(1);
    }

    @Test
    void aSlowlorisMessageIsClosedAfterMessageTimeoutWhileAGoodClientKeepsGettingAcks() throws Exception {
        start(ConnectionLimits.DEFAULT.withMessageTimeout(Duration.ofSeconds(1)));
        RawClient good = client();
        RawClient slow = client();
        byte[] message = Mp.message("slow", 1L, map("pad", "x".repeat(2000)), map("chunk", "slow-1"));
        slow.send(Arrays.copyOf(message, 16));
        AtomicInteger next = new AtomicInteger(16);
        AtomicInteger acks = new AtomicInteger();
        // one byte of the slow message per poll, and a full round trip of the good client each time
        await().atMost(20, SECONDS).pollInterval(200, MILLISECONDS).until(() -> {
            roundTrip(good, "g-" + acks.incrementAndGet());
            try {
                OutputStream out = slow.socket().getOutputStream();
                out.write(message[next.getAndIncrement()]);
                out.flush();
            } catch (IOException closed) {
                // the server closed it
            }
            return counter("forward.connections.timed.out", "message_timeout") == 1;
        });
        assertThat(slow.isClosedByServer()).isTrue();
        roundTrip(good, "after");
        assertThat(acks.get()).isGreaterThanOrEqualTo(2);
        assertThat(sink.events()).allSatisfy(e -> assertThat(e.tag()).isEqualTo("good"));
        assertThat(LogCapture.containing("message_timeout 1.0 s"))
                .singleElement()
                .satisfies(l -> assertThat(l.level()).isEqualTo("WARN"));
    }

    @Test
    void connectionsBeyondMaxConnectionsAreRefusedCountedAndLoggedOncePerInterval() throws Exception {
        start(ConnectionLimits.DEFAULT.withMaxConnections(2));
        RawClient first = client();
        RawClient second = client();
        roundTrip(first, "a");
        roundTrip(second, "b");
        for (int i = 0; i < 3; i++) {
            RawClient extra = client();
            assertThat(extra.isClosedByServer())
                    .as("connection %d beyond the limit", i + 3)
                    .isTrue();
        }
        assertThat(counter("forward.connections.refused", "max_connections")).isEqualTo(3);
        assertThat(LogCapture.containing("Refused a forward connection from 127.0.0.1:", "max_connections 2 reached"))
                .hasSize(1);
        roundTrip(first, "still-served");

        first.close();
        await().atMost(10, SECONDS).until(() -> server.activeConnections() == 1);
        roundTrip(client(), "room-again");
    }

    @Test
    void aClientThatNeverReadsItsAcksIsClosedAfterUnreadAckTimeoutAndItsAckedEventsStayStored() throws Exception {
        start(ConnectionLimits.DEFAULT.withUnreadAckTimeout(Duration.ofSeconds(1)));
        Socket socket = new Socket();
        closeables.add(socket);
        socket.setReceiveBufferSize(4096);
        socket.connect(server.localAddress(), 5000);
        socket.setSoTimeout(10_000);
        String padding = "p".repeat(8000);
        Thread writer = new Thread(
                () -> {
                    try {
                        OutputStream out = socket.getOutputStream();
                        for (int i = 0; i < 20_000; i++) {
                            out.write(Mp.message("unread", 1L, map("i", (long) i), map("chunk", i + "-" + padding)));
                        }
                    } catch (IOException closedByServer) {
                        // expected: the server closes the connection
                    }
                },
                "unread-acks-writer");
        writer.setDaemon(true);
        writer.start();

        await().atMost(60, SECONDS).until(() -> counter("forward.connections.timed.out", "unread_ack_timeout") == 1);
        assertThat(LogCapture.containing("unread_ack_timeout 1.0 s", "does not read its acks"))
                .hasSize(1);
        double acksSent = registry.find("forward.acks").counter().count();
        assertThat(acksSent).as("acks were sent before the close").isPositive();

        // every ack the client can still read names an event that is stored
        Set<String> stored = new HashSet<>();
        for (byte[] key : sink.dedupKeys()) {
            stored.add(new String(key, StandardCharsets.UTF_8));
        }
        List<String> acked = new ArrayList<>();
        try (MessageUnpacker in = MessagePack.newDefaultUnpacker(socket.getInputStream())) {
            while (in.hasNext()) {
                Value ack = in.unpackValue();
                acked.add(ack.asMapValue()
                        .map()
                        .values()
                        .iterator()
                        .next()
                        .asStringValue()
                        .asString());
            }
        } catch (IOException | MessageInsufficientBufferException cut) {
            // the rest was cut by the close
        }
        assertThat(stored).containsAll(acked);
        assertThat(sink.events().size()).isGreaterThanOrEqualTo((int) acksSent);
    }
}
