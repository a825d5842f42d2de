package org.kinesisaggregator.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.kinesisaggregator.server.testing.Mp.concat;
import static org.kinesisaggregator.server.testing.Mp.entries;
import static org.kinesisaggregator.server.testing.Mp.map;
import static org.kinesisaggregator.server.testing.Mp.pack;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.kinesisaggregator.buffer.BufferSettings;
import org.kinesisaggregator.buffer.Buffers;
import org.kinesisaggregator.buffer.Chunk;
import org.kinesisaggregator.buffer.EventBuffer;
import org.kinesisaggregator.buffer.Output;
import org.kinesisaggregator.buffer.WriteResult;
import org.kinesisaggregator.server.testing.LeakCheck;
import org.kinesisaggregator.server.testing.Mp;
import org.kinesisaggregator.server.testing.Mp.Time;
import org.kinesisaggregator.server.testing.RawClient;
import org.kinesisaggregator.server.testing.Settings;

/**
 * Issue 12 finding 2 end to end: hand-made forward messages over real loopback sockets into a real
 * file buffer. A chunk id reused from another connection with other events, or under another tag,
 * and the empty id are acked and stored; only the true re-send is acked without storing.
 */
@ExtendWith(LeakCheck.class)
class DedupEndToEndTest {
    private static final String CHUNK = "p8n9gmxTQVC8/nh2wlKKeQ==";

    @TempDir
    Path dir;

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final List<Integer> deliveredCounts = new CopyOnWriteArrayList<>();
    private EventBuffer buffer;
    private ForwardServer server;

    @AfterEach
    void tearDown() {
        if (server != null) {
            server.close();
        }
        if (buffer != null) {
            buffer.close();
        }
    }

    private static byte[] ack(Object chunk) {
        return concat(new byte[] {(byte) 0x81}, pack("ack"), pack(chunk));
    }

    private static byte[] message(String tag, String chunk, String... msgs) {
        Object[] pairs = new Object[msgs.length * 2];
        for (int i = 0; i < msgs.length; i++) {
            pairs[2 * i] = new Time(1_700_000_000 + i, 0);
            pairs[2 * i + 1] = map("msg", msgs[i]);
        }
        return Mp.packed(tag, entries(pairs), map("chunk", chunk, "size", (long) msgs.length));
    }

    private static void sendAndAwaitAck(RawClient client, byte[] message, String chunk) {
        client.send(message);
        assertThat(client.read(ack(chunk).length)).isEqualTo(ack(chunk));
    }

    @Test
    void aReusedChunkIdIsStoredAndOnlyATrueReSendIsNot() throws Exception {
        Output output = new Output() {
            @Override
            public String type() {
                return "recording";
            }

            @Override
            public CompletableFuture<WriteResult> write(Chunk chunk) {
                deliveredCounts.add(chunk.eventCount());
                return CompletableFuture.completedFuture(WriteResult.allDelivered());
            }
        };
        BufferSettings settings = BufferSettings.builder(BufferSettings.BufferType.FILE, dir.resolve("out1"))
                .flushInterval(Duration.ofHours(1))
                .build();
        buffer = Buffers.create("out1", settings, output, null, Clock.systemUTC(), registry);
        buffer.start();
        server = new ForwardServer(Settings.local().build(), buffer, registry);
        server.start();

        try (RawClient a = new RawClient(server.localAddress())) {
            sendAndAwaitAck(a, message("app.a", CHUNK, "one", "two"), CHUNK);
        }
        try (RawClient b = new RawClient(server.localAddress())) {
            sendAndAwaitAck(b, message("app.a", CHUNK, "other", "events", "here"), CHUNK); // another connection
            sendAndAwaitAck(b, message("app.b", CHUNK, "one", "two"), CHUNK); // another tag
            sendAndAwaitAck(b, message("app.a", "", "empty id"), "");
            sendAndAwaitAck(b, message("app.a", "", "empty id"), "");
        }
        assertThat(buffer.stats().totalEvents()).isEqualTo(9);
        try (RawClient c = new RawClient(server.localAddress())) {
            sendAndAwaitAck(c, message("app.a", CHUNK, "one", "two"), CHUNK); // the true re-send
        }
        assertThat(buffer.stats().totalEvents())
                .as("the true re-send is not stored")
                .isEqualTo(9);
        assertThat(registry.get("buffer.dedup.hits").counter().count()).isEqualTo(1);
        assertThat(registry.get("forward.acks").counter().count()).isEqualTo(6);

        buffer.close(); // flush_at_shutdown is off for a file buffer: everything stays on disk
        buffer = Buffers.create(
                "out1",
                settings.toBuilder().flushInterval(Duration.ofMillis(10)).build(),
                output,
                null,
                Clock.systemUTC(),
                registry);
        buffer.start();
        await().atMost(Duration.ofSeconds(20))
                .until(() ->
                        deliveredCounts.stream().mapToInt(Integer::intValue).sum() == 9);
    }
}
