package org.kinesisaggregator.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.util.ReferenceCountUtil;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.kinesisaggregator.buffer.AppendResult;
import org.kinesisaggregator.buffer.EventSink;
import org.kinesisaggregator.buffer.StreamedAppend;
import org.kinesisaggregator.server.codec.ForwardDecoderConfig;
import org.kinesisaggregator.server.codec.ForwardEvents;
import org.kinesisaggregator.server.codec.ForwardOption;
import org.kinesisaggregator.server.codec.ForwardProtocolException;
import org.kinesisaggregator.server.codec.StreamEnd;
import org.kinesisaggregator.server.security.HandshakeAuthenticator;
import org.kinesisaggregator.server.testing.Event;
import org.kinesisaggregator.server.testing.Settings;

/**
 * The real pipeline pieces of one forward connection for fuzz targets: {@link org.kinesisaggregator.server.codec.ProtocolSniffer}
 * and {@link ForwardIngestHandler} on an {@link EmbeddedChannel}, with a probe between them that
 * records what the decoder emitted and every exception, a {@link RecordingSink} that acks at once,
 * and an allocator that tracks every buffer so that a leak fails the very input that caused it.
 *
 * <p>{@link #checkInvariants()} is the oracle: no exception but {@link ForwardProtocolException}
 * reached the ingest handler, and a protocol error closed the connection; every {@code {"ack": X}}
 * written answers a decoded message with chunk X whose events were all appended to the sink (the
 * ack means the events reach the output); after the channel is closed no buffer is left unreleased.
 *
 * <p>Not thread-safe; one per fuzz input.
 */
final class FuzzPipeline implements AutoCloseable {
    /** The fixed "now" for nil/0 times. */
    static final Clock CLOCK = Clock.fixed(Instant.parse("2024-05-01T00:00:00Z"), ZoneOffset.UTC);

    private static final byte[] MSGPACK_ACK = {(byte) 0x81, (byte) 0xa3, 'a', 'c', 'k'};
    private static final byte[] JSON_ACK = {'{', '"', 'a', 'c', 'k', '"', ':'};

    /** A message the decoder emitted whole ({@link ForwardEvents}) or as a stream ({@link StreamEnd}). */
    record Decoded(String tag, ForwardOption option, long eventCount) {}

    /** An append (or a committed stream) the sink completed. */
    record Appended(String tag, byte[] dedupKey, List<Event> events) {}

    final EmbeddedChannel channel;
    final RecordingSink sink = new RecordingSink();
    private final TrackingAllocator alloc = new TrackingAllocator();
    private final List<Decoded> decoded = new ArrayList<>();
    private final List<Throwable> exceptions = new ArrayList<>();
    private final List<byte[]> written = new ArrayList<>();

    FuzzPipeline(ForwardDecoderConfig config) {
        this(config, null, Settings.local().build());
    }

    FuzzPipeline(ForwardDecoderConfig config, HandshakeAuthenticator auth, ForwardSettings settings) {
        IngestContext deps = new IngestContext(
                settings,
                sink,
                new ForwardMetrics(new SimpleMeterRegistry(), 24224),
                auth,
                null,
                64,
                64L << 20,
                new LogThrottle(Duration.ofMinutes(1), 16, CLOCK));
        channel = new EmbeddedChannel();
        channel.config().setAllocator(alloc);
        ForwardChannelInitializer.addForwardHandlers(channel.pipeline(), deps, config);
        channel.pipeline().addAfter("decoder", "probe", new Probe());
        // EmbeddedChannel() registers without handlers: activate now that the pipeline is complete
        channel.pipeline().fireChannelActive();
        settle();
    }

    /** The decoder configuration the fuzz targets share: in_forward's defaults with small limits. */
    static ForwardDecoderConfig config(boolean skipInvalidEvent, boolean smallStreaming, boolean handshake) {
        ForwardDecoderConfig.Builder c = ForwardDecoderConfig.builder(CLOCK)
                .skipInvalidEvent(skipInvalidEvent)
                .expectHandshake(handshake)
                .limits(0, 64 * 1024, 16 * 1024);
        return (smallStreaming ? c.streaming(96, 48) : c).build();
    }

    /** Feeds {@code bytes} cut at {@code cuts} (any order, out-of-range ones ignored) and settles. */
    void feed(byte[] bytes, int[] cuts) {
        int[] sorted = cuts.clone();
        Arrays.sort(sorted);
        int from = 0;
        for (int cut : sorted) {
            if (cut > from && cut < bytes.length) {
                write(bytes, from, cut);
                from = cut;
            }
        }
        write(bytes, from, bytes.length);
    }

    private void write(byte[] bytes, int from, int to) {
        if (to <= from || !channel.isOpen()) {
            return;
        }
        ByteBuf buf = alloc.buffer(to - from);
        buf.writeBytes(bytes, from, to - from);
        channel.writeInbound(buf);
        settle();
    }

    /** Runs the tasks the sink's futures queued on the loop, and takes what was written. */
    void settle() {
        for (int round = 0; round < 1000; round++) {
            channel.runPendingTasks();
            Object out = channel.readOutbound();
            if (out == null && !channel.hasPendingTasks()) {
                return;
            }
            if (out instanceof ByteBuf buf) {
                byte[] bytes = new byte[buf.readableBytes()];
                buf.getBytes(buf.readerIndex(), bytes);
                written.add(bytes);
            }
            ReferenceCountUtil.release(out);
        }
        throw new AssertionError("the pipeline did not settle after 1000 rounds");
    }

    /** Everything the server wrote, one entry per write. */
    List<byte[]> written() {
        return written;
    }

    /** The chunk values ({@code X} in {@code {"ack": X}}) of every ack written, as on the wire. */
    List<byte[]> acks() {
        List<byte[]> acks = new ArrayList<>();
        for (byte[] w : written) {
            if (startsWith(w, MSGPACK_ACK)) {
                acks.add(Arrays.copyOfRange(w, MSGPACK_ACK.length, w.length));
            } else if (startsWith(w, JSON_ACK) && w[w.length - 1] == '}') {
                acks.add(Arrays.copyOfRange(w, JSON_ACK.length, w.length - 1));
            }
        }
        return acks;
    }

    /** Ends the connection as a forwarder would (input closed: decodeLast runs) and settles. */
    void finish() {
        if (channel.isOpen()) {
            channel.pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
            settle();
        }
        channel.finishAndReleaseAll();
        settle();
    }

    /** The oracle; see the class comment. Call after {@link #finish()}. */
    void checkInvariants() {
        for (Throwable t : exceptions) {
            if (!(t instanceof ForwardProtocolException)) {
                throw new AssertionError("not a documented protocol error reached the ingest handler", t);
            }
        }
        if (!exceptions.isEmpty()) {
            assertThat(channel.isOpen())
                    .as("a protocol error closes the connection: %s", exceptions.get(0))
                    .isFalse();
        }
        List<Decoded> unmatchedMessages = new ArrayList<>(decoded);
        List<Appended> unmatchedAppends = new ArrayList<>(sink.appended());
        for (byte[] ack : acks()) {
            Decoded message = null;
            for (Decoded d : unmatchedMessages) {
                if (d.option().wantsAck() && Arrays.equals(d.option().ackValue(), ack)) {
                    message = d;
                    break;
                }
            }
            assertThat(message)
                    .as("ack %s answers a message the decoder emitted", Arrays.toString(ack))
                    .isNotNull();
            unmatchedMessages.remove(message);
            if (message.eventCount() == 0) {
                continue;
            }
            Appended append = null;
            for (Appended a : unmatchedAppends) {
                if (Arrays.equals(a.dedupKey(), message.option().dedupKey())
                        && a.tag().equals(message.tag())
                        && a.events().size() == message.eventCount()) {
                    append = a;
                    break;
                }
            }
            assertThat(append)
                    .as(
                            "ack %s: its %d event(s) (tag %s) were all appended to the sink",
                            Arrays.toString(ack), message.eventCount(), message.tag())
                    .isNotNull();
            unmatchedAppends.remove(append);
        }
        assertThat(channel.isOpen()).isFalse();
        alloc.assertAllReleased();
    }

    @Override
    public void close() {
        if (channel.isOpen() || channel.isRegistered()) {
            channel.finishAndReleaseAll();
        }
        sink.close();
    }

    private static boolean startsWith(byte[] bytes, byte[] prefix) {
        return bytes.length >= prefix.length && Arrays.equals(bytes, 0, prefix.length, prefix, 0, prefix.length);
    }

    /** Records, between the decoder and the ingest handler, what passes; passes everything on. */
    private final class Probe extends ChannelDuplexHandler {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof ForwardEvents e) {
                decoded.add(new Decoded(e.tag(), e.option(), e.eventCount()));
            } else if (msg instanceof StreamEnd end) {
                decoded.add(new Decoded(end.tag(), end.option(), end.eventCount()));
            }
            ctx.fireChannelRead(msg);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            exceptions.add(cause);
            ctx.fireExceptionCaught(cause);
        }
    }

    /**
     * An {@link EventSink} that decodes and records every append and acks it at once (a completed
     * future: the ingest handler hops back to the loop, which {@link #settle()} runs). Never
     * deduplicates: a fuzzed input may repeat a chunk id.
     */
    static final class RecordingSink implements EventSink, AutoCloseable {
        private final List<Appended> appended = new ArrayList<>();

        List<Appended> appended() {
            return Collections.unmodifiableList(appended);
        }

        List<Event> events() {
            List<Event> all = new ArrayList<>();
            appended.forEach(a -> all.addAll(a.events()));
            return all;
        }

        @Override
        public CompletableFuture<AppendResult> append(String tag, ByteBuffer entries, int eventCount, byte[] dedupKey) {
            List<Event> events = Event.decode(tag, entries, eventCount);
            appended.add(new Appended(tag, dedupKey, events));
            return CompletableFuture.completedFuture(AppendResult.stored(eventCount));
        }

        @Override
        public StreamedAppend openStream(String tag) {
            List<Event> pending = new ArrayList<>();
            return new StreamedAppend() {
                private boolean finished;

                @Override
                public CompletableFuture<Void> write(ByteBuffer entries, int eventCount) {
                    assertThat(finished).as("write after commit/abandon").isFalse();
                    pending.addAll(Event.decode(tag, entries, eventCount));
                    return CompletableFuture.completedFuture(null);
                }

                @Override
                public CompletableFuture<AppendResult> commit(byte[] dedupKey) {
                    assertThat(finished).as("commit after commit/abandon").isFalse();
                    finished = true;
                    appended.add(new Appended(tag, dedupKey, List.copyOf(pending)));
                    return CompletableFuture.completedFuture(AppendResult.stored(pending.size()));
                }

                @Override
                public void abandon() {
                    finished = true;
                }
            };
        }

        @Override
        public void close() {
            appended.clear();
        }
    }

    /**
     * Hands out unpooled buffers and remembers each, so that a buffer still referenced after the
     * channel closed is found at once (deterministic, unlike the GC-driven leak detector).
     */
    private static final class TrackingAllocator implements ByteBufAllocator {
        private final ByteBufAllocator delegate = new UnpooledByteBufAllocator(false);
        private final List<ByteBuf> allocated = new ArrayList<>();

        void assertAllReleased() {
            for (ByteBuf b : allocated) {
                assertThat(b.refCnt())
                        .as("buffer of %d bytes still referenced after the channel closed", b.capacity())
                        .isZero();
            }
        }

        private <T extends ByteBuf> T track(T b) {
            allocated.add(b);
            return b;
        }

        @Override
        public ByteBuf buffer() {
            return track(delegate.buffer());
        }

        @Override
        public ByteBuf buffer(int initialCapacity) {
            return track(delegate.buffer(initialCapacity));
        }

        @Override
        public ByteBuf buffer(int initialCapacity, int maxCapacity) {
            return track(delegate.buffer(initialCapacity, maxCapacity));
        }

        @Override
        public ByteBuf ioBuffer() {
            return track(delegate.ioBuffer());
        }

        @Override
        public ByteBuf ioBuffer(int initialCapacity) {
            return track(delegate.ioBuffer(initialCapacity));
        }

        @Override
        public ByteBuf ioBuffer(int initialCapacity, int maxCapacity) {
            return track(delegate.ioBuffer(initialCapacity, maxCapacity));
        }

        @Override
        public ByteBuf heapBuffer() {
            return track(delegate.heapBuffer());
        }

        @Override
        public ByteBuf heapBuffer(int initialCapacity) {
            return track(delegate.heapBuffer(initialCapacity));
        }

        @Override
        public ByteBuf heapBuffer(int initialCapacity, int maxCapacity) {
            return track(delegate.heapBuffer(initialCapacity, maxCapacity));
        }

        @Override
        public ByteBuf directBuffer() {
            return track(delegate.directBuffer());
        }

        @Override
        public ByteBuf directBuffer(int initialCapacity) {
            return track(delegate.directBuffer(initialCapacity));
        }

        @Override
        public ByteBuf directBuffer(int initialCapacity, int maxCapacity) {
            return track(delegate.directBuffer(initialCapacity, maxCapacity));
        }

        @Override
        public CompositeByteBuf compositeBuffer() {
            return track(delegate.compositeBuffer());
        }

        @Override
        public CompositeByteBuf compositeBuffer(int maxNumComponents) {
            return track(delegate.compositeBuffer(maxNumComponents));
        }

        @Override
        public CompositeByteBuf compositeHeapBuffer() {
            return track(delegate.compositeHeapBuffer());
        }

        @Override
        public CompositeByteBuf compositeHeapBuffer(int maxNumComponents) {
            return track(delegate.compositeHeapBuffer(maxNumComponents));
        }

        @Override
        public CompositeByteBuf compositeDirectBuffer() {
            return track(delegate.compositeDirectBuffer());
        }

        @Override
        public CompositeByteBuf compositeDirectBuffer(int maxNumComponents) {
            return track(delegate.compositeDirectBuffer(maxNumComponents));
        }

        @Override
        public boolean isDirectBufferPooled() {
            return false;
        }

        @Override
        public int calculateNewCapacity(int minNewCapacity, int maxCapacity) {
            return delegate.calculateNewCapacity(minNewCapacity, maxCapacity);
        }
    }
}
