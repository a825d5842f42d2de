package org.kinesisaggregator.server.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.kinesisaggregator.server.testing.Mp.concat;
import static org.kinesisaggregator.server.testing.Mp.map;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.kinesisaggregator.server.testing.Event;
import org.kinesisaggregator.server.testing.LeakCheck;
import org.kinesisaggregator.server.testing.Mp;

/** {@link ProtocolSniffer} on an EmbeddedChannel: which decoder the first byte installs, and that no byte is lost. */
@ExtendWith(LeakCheck.class)
class ProtocolSnifferTest {
    private static final Instant NOW = Instant.parse("2026-01-02T03:04:05Z");
    private static final ForwardDecoderConfig CONFIG = ForwardDecoderConfig.defaults(Clock.fixed(NOW, ZoneOffset.UTC));
    private static final String NAME = "decoder";

    private static EmbeddedChannel channel(ForwardDecoderConfig config) {
        EmbeddedChannel channel = new EmbeddedChannel();
        channel.pipeline().addLast(NAME, new ProtocolSniffer(config));
        return channel;
    }

    private static void write(EmbeddedChannel channel, byte[] bytes, int from, int to) {
        ByteBuf buf = channel.alloc().buffer(to - from);
        buf.writeBytes(bytes, from, to - from);
        channel.writeInbound(buf);
    }

    /** The events of the ForwardEvents read so far (released); anything else fails the test. */
    private static List<Event> readEvents(EmbeddedChannel channel) {
        List<Event> events = new ArrayList<>();
        Object msg;
        while ((msg = channel.readInbound()) != null) {
            try {
                assertThat(msg).isInstanceOf(ForwardEvents.class);
                ForwardEvents e = (ForwardEvents) msg;
                events.addAll(Event.decode(e.tag(), e.content().nioBuffer(), e.eventCount()));
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }
        return events;
    }

    /** The handler under the decoder's name, and that there is exactly one ForwardDecoder in the pipeline. */
    private static ChannelHandler decoder(EmbeddedChannel channel) {
        ChannelHandler named = channel.pipeline().get(NAME);
        assertThat(channel.pipeline().get(ForwardDecoder.class)).isSameAs(named);
        assertThat(channel.pipeline().names().stream().filter(NAME::equals)).hasSize(1);
        return named;
    }

    @Test
    void aMsgpackFirstByteInstallsTheMsgpackDecoderWhetherTheFirstReadHoldsOneByteOrTheWholeMessage() {
        byte[] bytes = concat(
                Mp.message("m.one", 1_700_000_000L, map("k", "v"), null),
                Mp.forward("m.two", List.of(Arrays.asList(1_700_000_001L, map("n", 2L))), null));
        List<Event> expected = List.of(
                Event.of("m.one", 1_700_000_000L, 0, map("k", "v")),
                Event.of("m.two", 1_700_000_001L, 0, map("n", 2L)));

        EmbeddedChannel split = channel(CONFIG);
        ChannelHandler sniffer = decoder(split);
        assertThat(sniffer).isInstanceOf(ProtocolSniffer.class);
        write(split, bytes, 0, 1);
        ChannelHandler installed = decoder(split);
        assertThat(installed).isInstanceOf(MsgpackForwardDecoder.class);
        assertThat(split.pipeline().get(ProtocolSniffer.class)).isNull();
        assertThat(split.<Object>readInbound()).isNull();
        // the first byte was handed to the new decoder: it is in the middle of a message
        assertThat(((ForwardDecoder) installed).isMidMessage()).isTrue();
        write(split, bytes, 1, bytes.length);
        assertThat(decoder(split)).isSameAs(installed);
        assertThat(readEvents(split)).isEqualTo(expected);
        assertThat(split.finish()).isFalse();

        EmbeddedChannel whole = channel(CONFIG);
        write(whole, bytes, 0, bytes.length);
        assertThat(decoder(whole)).isInstanceOf(MsgpackForwardDecoder.class);
        assertThat(readEvents(whole)).isEqualTo(expected);
        assertThat(whole.finish()).isFalse();
    }

    @Test
    void aBraceOrABracketInstallsTheJsonDecoder() {
        // '[': a JSON request, split after its first byte and whole
        byte[] request = "[\"j.tag\", 1700000000, {\"k\": \"v\"}]".getBytes(StandardCharsets.UTF_8);
        for (int cut : new int[] {1, request.length}) {
            EmbeddedChannel channel = channel(CONFIG);
            write(channel, request, 0, cut);
            assertThat(decoder(channel)).as("cut at %d", cut).isInstanceOf(JsonForwardDecoder.class);
            if (cut < request.length) {
                write(channel, request, cut, request.length);
            }
            assertThat(readEvents(channel)).containsExactly(Event.of("j.tag", 1_700_000_000L, 0, map("k", "v")));
            assertThat(channel.finish()).isFalse();
        }

        // '{': JSON as well, so the object is refused by the JSON decoder with its own message
        byte[] object = "{\"k\": \"v\"}".getBytes(StandardCharsets.UTF_8);
        EmbeddedChannel channel = channel(CONFIG);
        Throwable t = catchThrowable(() -> write(channel, object, 0, object.length));
        assertThat(decoder(channel)).isInstanceOf(JsonForwardDecoder.class);
        assertThat(t)
                .isInstanceOf(ForwardProtocolException.class)
                .hasMessage("message: JSON object (expected: a JSON array)");
        assertThat(((ForwardProtocolException) t).reason()).isEqualTo(ErrorReason.MALFORMED);
        channel.finishAndReleaseAll();
    }

    @Test
    void withAHandshakeExpectedABraceConnectionIsMsgpack() {
        ForwardDecoderConfig handshake =
                CONFIG.toBuilder().expectHandshake(true).build();
        assertThat(handshake.expectHandshake()).isTrue();
        byte[] object = "{\"k\": \"v\"}".getBytes(StandardCharsets.UTF_8);
        EmbeddedChannel channel = channel(handshake);

        Throwable t = catchThrowable(() -> write(channel, object, 0, object.length));

        assertThat(decoder(channel)).isInstanceOf(MsgpackForwardDecoder.class);
        // '{' is the msgpack fixint 123: a whole value, and not a PING
        Object first = channel.readInbound();
        assertThat(first).isInstanceOf(PingRequest.class);
        assertThat(((PingRequest) first).problem()).isEqualTo(PingParser.INVALID);
        assertThat(channel.<Object>readInbound()).isNull();
        // then '"' (fixint 34) is where a msgpack message should start: a msgpack error, not a JSON one
        assertThat(t)
                .isInstanceOf(ForwardProtocolException.class)
                .hasMessage("message: int (expected: an array, or nil)");
        assertThat(((ForwardProtocolException) t).reason()).isEqualTo(ErrorReason.MALFORMED);
        channel.finishAndReleaseAll();

        // '[' too: the one byte is the msgpack fixint 91, a whole value and an invalid PING
        EmbeddedChannel bracket = channel(handshake);
        write(bracket, new byte[] {'['}, 0, 1);
        ChannelHandler installed = decoder(bracket);
        assertThat(installed).isInstanceOf(MsgpackForwardDecoder.class);
        assertThat(((ForwardDecoder) installed).isMidMessage()).isFalse();
        Object ping = bracket.readInbound();
        assertThat(ping).isInstanceOf(PingRequest.class);
        assertThat(((PingRequest) ping).problem()).isEqualTo(PingParser.INVALID);
        assertThat(bracket.finish()).isFalse();
    }

    @Test
    void anEmptyReadInstallsNothing() {
        EmbeddedChannel channel = channel(CONFIG);
        ChannelHandler sniffer = decoder(channel);

        channel.writeInbound(Unpooled.EMPTY_BUFFER);

        assertThat(decoder(channel)).isSameAs(sniffer);
        assertThat(((ForwardDecoder) sniffer).isMidMessage()).isFalse();
        assertThat(((ForwardDecoder) sniffer).hasBacklog()).isFalse();
        assertThat(channel.<Object>readInbound()).isNull();

        // the next, real, read is sniffed as usual
        byte[] message = Mp.message("t", 1L, map(), null);
        write(channel, message, 0, message.length);
        assertThat(decoder(channel)).isInstanceOf(MsgpackForwardDecoder.class);
        assertThat(readEvents(channel)).containsExactly(Event.of("t", 1, 0, map()));
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void aConnectionClosedBeforeAnyByteRaisesNothing() {
        EmbeddedChannel channel = channel(CONFIG);
        ChannelHandler sniffer = decoder(channel);

        // finish() closes the channel (decodeLast runs) and rethrows any exception the pipeline caught
        assertThat(channel.finish()).isFalse();

        assertThat(channel.isOpen()).isFalse();
        assertThat(channel.<Object>readInbound()).isNull();
        assertThat(sniffer).isInstanceOf(ProtocolSniffer.class);

        // whereas one byte of a message is handed to the msgpack decoder, which reports the truncation
        EmbeddedChannel oneByte = channel(CONFIG);
        write(oneByte, new byte[] {(byte) 0x93}, 0, 1);
        Throwable t = catchThrowable(oneByte::finish);
        assertThat(t).isInstanceOf(ForwardProtocolException.class);
        assertThat(((ForwardProtocolException) t).reason()).isEqualTo(ErrorReason.TRUNCATED);
        assertThat(t).hasMessage("message: connection ended after 1 bytes of it (expected: whole messages)");
    }
}
