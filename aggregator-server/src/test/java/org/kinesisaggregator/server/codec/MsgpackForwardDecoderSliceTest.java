package org.kinesisaggregator.server.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.kinesisaggregator.server.testing.Mp.map;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.util.ReferenceCountUtil;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.kinesisaggregator.server.testing.Bombs;
import org.kinesisaggregator.server.testing.LeakCheck;
import org.kinesisaggregator.server.testing.Mp;

/**
 * Decompression in bounded slices: one decode turn never inflates more than the slice bound, a
 * bomb is refused as soon as it passes {@code decompression_size_limit}, and honest compressed
 * messages come out whole across any number of slices.
 */
@ExtendWith(LeakCheck.class)
class MsgpackForwardDecoderSliceTest {
    static final Clock CLOCK = Clock.fixed(Instant.ofEpochSecond(1_700_000_000), ZoneOffset.UTC);
    static final long LIMIT = 2L * 1024 * 1024;
    static final int SLICE = MsgpackForwardDecoder.DECOMPRESSION_SLICE_BYTES;
    static final ForwardDecoderConfig CONFIG = ForwardDecoderConfig.builder(CLOCK)
            .limits(0, LIMIT, ForwardDecoderConfig.DEFAULT_MAX_EVENT_BYTES)
            .build();

    static byte[] bomb(String compression, long inflatedBytes) {
        return compression.equals("gzip") ? Bombs.gzip(inflatedBytes) : Bombs.zstd(inflatedBytes);
    }

    /** What one channel saw: messages (released), piece bytes, events, user events passed on. */
    static final class Tail extends ChannelInboundHandlerAdapter {
        final List<Object> userEvents = new ArrayList<>();
        long pieceBytes;
        long events;
        int messages;
        int streamEnds;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                messages++;
                if (msg instanceof StreamPiece p) {
                    pieceBytes += p.content().readableBytes();
                    events += p.eventCount();
                } else if (msg instanceof ForwardEvents e) {
                    events += e.eventCount();
                } else if (msg instanceof StreamEnd) {
                    streamEnds++;
                }
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            userEvents.add(evt);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"gzip", "zstd"})
    void aBombIsInflatedOneSliceAtATimeAndRefusedRightAfterTheLimit(String compression) {
        byte[] payload = bomb(compression, 1024L * 1024 * 1024);
        assertThat(payload.length).as("1 GiB compressed").isLessThan(4 * 1024 * 1024);
        byte[] message = Mp.packed("bomb", payload, map("chunk", "b", "compressed", compression));
        MsgpackForwardDecoder decoder = new MsgpackForwardDecoder(CONFIG);
        Tail tail = new Tail();
        EmbeddedChannel channel = new EmbeddedChannel(decoder, tail);
        try {
            List<Long> inflatedPerTurn = new ArrayList<>();
            List<Long> pieceBytesPerTurn = new ArrayList<>();
            long before = 0;
            long piecesBefore = 0;
            // the whole message in one read, as a fast forwarder on loopback delivers it
            Throwable failure = catchThrowable(() -> channel.writeInbound(Unpooled.wrappedBuffer(message)));
            while (true) {
                inflatedPerTurn.add(decoder.decompressedBytes() - before);
                pieceBytesPerTurn.add(tail.pieceBytes - piecesBefore);
                before = decoder.decompressedBytes();
                piecesBefore = tail.pieceBytes;
                if (failure != null) {
                    break;
                }
                assertThat(decoder.hasBacklog())
                        .as("after %s turns: refused, or work left", inflatedPerTurn.size())
                        .isTrue();
                decoder.resume();
                failure = catchThrowable(channel::checkException);
            }

            assertThat(inflatedPerTurn).allSatisfy(n -> assertThat(n).isLessThanOrEqualTo(SLICE));
            assertThat(inflatedPerTurn).hasSizeGreaterThanOrEqualTo((int) (LIMIT / SLICE));
            // what reaches the sink per turn is bounded too: the first piece holds what came before
            // streaming began, then pieces of about 512 KiB; never the bomb
            assertThat(pieceBytesPerTurn)
                    .allSatisfy(n -> assertThat(n)
                            .isLessThanOrEqualTo(ForwardDecoderConfig.DEFAULT_STREAM_THRESHOLD_BYTES + SLICE));
            assertThat(failure).isInstanceOf(ForwardProtocolException.class);
            ForwardProtocolException e = (ForwardProtocolException) failure;
            assertThat(e.reason()).isEqualTo(ErrorReason.DECOMPRESSION);
            assertThat(e.getMessage())
                    .matches("entries: more than decompression_size_limit 2097152 bytes \\(2097153 decompressed so far,"
                            + " from \\d+ bytes on the wire\\) \\(expected: <= 2097152 bytes decompressed\\)");
            assertThat(decoder.decompressedBytes()).isEqualTo(LIMIT + 1);
            assertThat(decoder.hasBacklog()).isFalse();
            assertThat(tail.streamEnds)
                    .as("no StreamEnd, so no commit and no ack")
                    .isZero();
        } finally {
            channel.finishAndReleaseAll();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"gzip", "zstd"})
    void anHonestMessageComesOutWholeAcrossSlicesAndTheNextOneAfterIt(String compression) {
        int count = 3 * Bombs.MEMBER_BYTES / Bombs.EVENT_BYTES / 8;
        byte[] entries = Bombs.events(count);
        byte[] compressed = compression.equals("gzip") ? Mp.gzip(entries) : Mp.zstd(entries);
        byte[] bytes = Mp.concat(
                Mp.packed("big", compressed, map("chunk", "a", "compressed", compression)),
                Mp.message("small", 1L, map("k", "v"), map("chunk", "b")));
        MsgpackForwardDecoder decoder = new MsgpackForwardDecoder(CONFIG);
        Tail tail = new Tail();
        EmbeddedChannel channel = new EmbeddedChannel(decoder, tail);
        try {
            channel.writeInbound(Unpooled.wrappedBuffer(bytes));
            // the peer half-closes right after: the end of input waits for the backlog
            channel.pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
            channel.checkException();
            int turns = 1;
            while (decoder.hasBacklog()) {
                assertThat(tail.userEvents).isEmpty();
                decoder.resume();
                channel.checkException();
                turns++;
            }
            assertThat(turns).isGreaterThanOrEqualTo(entries.length / SLICE);
            assertThat(tail.events).isEqualTo(count + 1L);
            assertThat(tail.streamEnds).isEqualTo(1);
            assertThat(tail.userEvents).containsExactly(ChannelInputShutdownEvent.INSTANCE);
        } finally {
            channel.finishAndReleaseAll();
        }
    }
}
