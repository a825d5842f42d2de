package org.kinesisaggregator.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.kinesisaggregator.buffer.AppendResult;
import org.kinesisaggregator.buffer.EventSink;
import org.kinesisaggregator.buffer.StreamedAppend;
import org.kinesisaggregator.server.codec.ForwardDecoderConfig;
import org.kinesisaggregator.server.testing.Event;
import org.kinesisaggregator.server.testing.Mp;
import org.kinesisaggregator.server.testing.Settings;
import org.msgpack.core.MessagePack;
import org.msgpack.core.MessageUnpacker;

/**
 * {@link ForwardIngestHandler}'s lifecycle and read gate on an {@link EmbeddedChannel} (real decoder,
 * a sink whose appends complete when the test says): the in-flight bound pauses reading and holds
 * messages, a failed append closes once the others are acked, a drain and a half-close finish what
 * was sent. These pin today's behaviour; they pass on the handler from before the state split too.
 */
class ForwardIngestHandlerStateTest {
    private static final Clock CLOCK = Clock.fixed(Instant.parse("2024-05-01T00:00:00Z"), ZoneOffset.UTC);
    private static final int MAX_IN_FLIGHT = 2;

    private final HoldingSink sink = new HoldingSink();
    private EmbeddedChannel channel;

    /** Appends wait until the test completes their futures. */
    private static final class HoldingSink implements EventSink {
        final List<CompletableFuture<AppendResult>> appends = new ArrayList<>();

        @Override
        public CompletableFuture<AppendResult> append(String tag, ByteBuffer entries, int eventCount, byte[] dedupKey) {
            CompletableFuture<AppendResult> future = new CompletableFuture<>();
            appends.add(future);
            return future;
        }

        @Override
        public StreamedAppend openStream(String tag) {
            throw new UnsupportedOperationException("no streamed messages in this test");
        }
    }

    @BeforeEach
    void setUp() {
        IngestContext deps = new IngestContext(
                Settings.local().build(),
                sink,
                new ForwardMetrics(new SimpleMeterRegistry(), 24224),
                null,
                null,
                MAX_IN_FLIGHT,
                64L << 20,
                new LogThrottle(Duration.ofMinutes(1), 16, CLOCK));
        channel = new EmbeddedChannel();
        ForwardChannelInitializer.addForwardHandlers(channel.pipeline(), deps, ForwardDecoderConfig.defaults(CLOCK));
        channel.pipeline().fireChannelActive();
        channel.runPendingTasks();
    }

    @AfterEach
    void tearDown() {
        channel.finishAndReleaseAll();
    }

    @Test
    void theInFlightBoundPausesReadingAndHoldsMessagesInOrder() {
        send("c1", "c2", "c3");

        assertThat(sink.appends).hasSize(MAX_IN_FLIGHT);
        assertThat(channel.config().isAutoRead()).isFalse();
        assertThat(handler().isSettled()).isFalse();

        complete(0);
        assertThat(acks()).containsExactly("c1");
        assertThat(sink.appends).as("the held third message is dispatched").hasSize(3);
        assertThat(channel.config().isAutoRead()).as("still two in flight").isFalse();

        complete(1);
        complete(2);
        assertThat(acks()).containsExactly("c2", "c3");
        assertThat(channel.config().isAutoRead()).isTrue();
        assertThat(handler().isSettled()).isTrue();
        assertThat(channel.isOpen()).isTrue();
    }

    @Test
    void aFailedAppendGetsNoAckAndClosesOnceTheOthersAreAcked() {
        send("c1", "c2");

        sink.appends.get(0).completeExceptionally(new IOException("disk full"));
        channel.runPendingTasks();
        assertThat(channel.config().isAutoRead()).isFalse();
        assertThat(channel.isOpen()).as("c2 is still in flight").isTrue();

        complete(1);
        assertThat(acks()).containsExactly("c2");
        assertThat(channel.isOpen()).isFalse();
    }

    @Test
    void aFailureDropsTheHeldMessagesWithoutAck() {
        send("c1", "c2", "c3");

        sink.appends.get(0).completeExceptionally(new IOException("disk full"));
        channel.runPendingTasks();
        complete(1);

        assertThat(acks()).containsExactly("c2");
        assertThat(sink.appends)
                .as("c3 was held and is dropped, never appended")
                .hasSize(2);
        assertThat(channel.isOpen()).isFalse();
    }

    @Test
    void aDrainWithNothingInProgressClosesAtOnce() {
        channel.pipeline().fireUserEventTriggered(ForwardIngestHandler.DRAIN);
        channel.runPendingTasks();

        assertThat(channel.isOpen()).isFalse();
    }

    @Test
    void aDrainAcksWhatIsInFlightThenCloses() {
        send("c1");

        channel.pipeline().fireUserEventTriggered(ForwardIngestHandler.DRAIN);
        channel.runPendingTasks();
        assertThat(channel.isOpen()).isTrue();
        assertThat(channel.config().isAutoRead()).isFalse();

        complete(0);
        assertThat(acks()).containsExactly("c1");
        assertThat(channel.isOpen()).isFalse();
    }

    @Test
    void aHalfCloseStillDispatchesAndAcksTheHeldMessagesThenCloses() {
        send("c1", "c2", "c3");

        channel.pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
        channel.runPendingTasks();
        assertThat(channel.config().isAutoRead()).isFalse();

        complete(0);
        complete(1);
        assertThat(sink.appends).hasSize(3);
        assertThat(channel.isOpen()).as("c3 still in flight").isTrue();
        complete(2);
        assertThat(acks()).containsExactly("c1", "c2", "c3");
        assertThat(channel.isOpen()).isFalse();
    }

    @Test
    void aMalformedMessageClosesAfterTheAcksBeforeIt() {
        send("c1");
        channel.writeInbound(Unpooled.wrappedBuffer(Mp.pack(42)));
        channel.runPendingTasks();
        assertThat(channel.isOpen()).as("c1 is in flight").isTrue();

        complete(0);
        assertThat(acks()).containsExactly("c1");
        assertThat(channel.isOpen()).isFalse();
    }

    private ForwardIngestHandler handler() {
        return channel.pipeline().get(ForwardIngestHandler.class);
    }

    /** One buffer holding a Message-mode message per chunk id, each asking for an ack. */
    private void send(String... chunks) {
        List<byte[]> messages = new ArrayList<>();
        for (String chunk : chunks) {
            messages.add(Mp.message("app.log", 1_714_521_600L, Map.of("msg", chunk), Map.of("chunk", chunk)));
        }
        channel.writeInbound(Unpooled.wrappedBuffer(Mp.concat(messages.toArray(new byte[0][]))));
        channel.runPendingTasks();
    }

    private void complete(int append) {
        sink.appends.get(append).complete(AppendResult.stored(1));
        channel.runPendingTasks();
    }

    /** The chunk ids acked since the last call, in the order written. */
    private List<String> acks() {
        List<String> acks = new ArrayList<>();
        Object out;
        while ((out = channel.readOutbound()) != null) {
            ByteBuf buf = (ByteBuf) out;
            byte[] bytes = new byte[buf.readableBytes()];
            buf.readBytes(bytes);
            ReferenceCountUtil.release(buf);
            try (MessageUnpacker unpacker = MessagePack.newDefaultUnpacker(bytes)) {
                Map<?, ?> ack = (Map<?, ?>) Event.toJava(unpacker.unpackValue());
                acks.add(String.valueOf(ack.get("ack")));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return acks;
    }
}
