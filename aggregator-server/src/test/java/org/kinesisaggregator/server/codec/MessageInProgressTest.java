package org.kinesisaggregator.server.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.kinesisaggregator.server.testing.Mp.concat;
import static org.kinesisaggregator.server.testing.Mp.entries;
import static org.kinesisaggregator.server.testing.Mp.map;
import static org.kinesisaggregator.server.testing.Mp.pack;

import io.netty.buffer.Unpooled;
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
import org.kinesisaggregator.server.codec.DecoderHarness.Dropped;
import org.kinesisaggregator.server.codec.DecoderHarness.Result;
import org.kinesisaggregator.server.codec.DecoderHarness.Streamed;
import org.kinesisaggregator.server.codec.DecoderHarness.Whole;
import org.kinesisaggregator.server.testing.LeakCheck;
import org.kinesisaggregator.server.testing.Mp;

/**
 * The decoder's per-message state ({@link MessageInProgress}) on an EmbeddedChannel: nothing of a
 * message (skips, compression, streaming, dropping, its byte count) carries into the next, at any
 * split point.
 */
@ExtendWith(LeakCheck.class)
class MessageInProgressTest {
    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-01-02T03:04:05Z"), ZoneOffset.UTC);
    private static final ForwardDecoderConfig CONFIG = ForwardDecoderConfig.defaults(CLOCK);

    @Test
    void eachMessageStartsFromNothingAtEverySplitPoint() {
        byte[] skipping = Mp.packed(
                "skips", concat(entries(1L, map("ok", 1L)), pack(Arrays.asList("bad", map()))), map("chunk", "a"));
        byte[] clean = Mp.packed("clean", entries(2L, map("ok", 2L)), null);
        byte[] gzipped = Mp.packed("gz", Mp.gzip(entries(3L, map("ok", 3L))), map("compressed", "gzip"));
        byte[] plainAfterGzip = Mp.packed("plain", entries(4L, map("ok", 4L)), map("size", 1L));
        byte[] forward = Mp.forward("fwd", List.of(Arrays.asList(5L, map("ok", 5L))), null);
        byte[] message = Mp.message("msg", 6L, map("ok", 6L), map("chunk", "m"));
        byte[] bytes = concat(skipping, clean, gzipped, plainAfterGzip, new byte[] {(byte) 0xc0}, forward, message);

        for (int cut = 0; cut <= bytes.length; cut++) {
            List<Result> results;
            try (DecoderHarness h = new DecoderHarness(CONFIG)) {
                results = h.feed(bytes, cut).finish().results();
            }

            assertThat(results).as("cut at %d", cut).hasSize(6);
            Whole first = (Whole) results.get(0);
            assertThat(first.skipped()).isEqualTo(1);
            assertThat(first.skipReason()).startsWith("event 2: ");
            Whole second = (Whole) results.get(1);
            assertThat(second.skipped()).as("cut at %d", cut).isZero();
            assertThat(second.skipReason()).isNull();
            assertThat(second.option()).isSameAs(ForwardOption.NONE);
            assertThat(((Whole) results.get(2)).mode()).isEqualTo(ForwardMode.COMPRESSED_PACKED_FORWARD);
            // the gzip sniffed in the message before is not held against this one's plain entries
            Whole plain = (Whole) results.get(3);
            assertThat(plain.mode()).isEqualTo(ForwardMode.PACKED_FORWARD);
            assertThat(plain.events()).hasSize(1);
            assertThat(((Whole) results.get(4)).mode()).isEqualTo(ForwardMode.FORWARD);
            Whole last = (Whole) results.get(5);
            assertThat(last.mode()).isEqualTo(ForwardMode.MESSAGE);
            assertThat(last.tag()).isEqualTo("msg");
            assertThat(last.option().dedupKey()).isEqualTo("m".getBytes(StandardCharsets.UTF_8));
        }
    }

    @Test
    void aStreamedOrDroppedMessageLeavesTheNextWhole() {
        ForwardDecoderConfig config = CONFIG.toBuilder()
                .limits(400, 1 << 20, 1 << 20)
                .streaming(64, 64)
                .build();
        List<Object> some = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            some.add(Arrays.asList((long) i, map("pad", "0123456789")));
        }
        List<Object> many = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            many.add(Arrays.asList((long) i, map("pad", "0123456789")));
        }
        byte[] bytes = concat(
                Mp.forward("streamed", some, map("chunk", "s")),
                Mp.message("small.1", 1L, map("ok", true), null),
                Mp.forward("dropped", many, map("chunk", "d")),
                Mp.message("small.2", 2L, map("ok", true), null));

        List<Result> results;
        try (DecoderHarness h = new DecoderHarness(config)) {
            results = h.feed(bytes).finish().results();
        }

        assertThat(results).hasSize(4);
        assertThat(((Streamed) results.get(0)).events()).hasSize(5);
        assertThat(((Whole) results.get(1)).tag()).isEqualTo("small.1");
        assertThat(((Dropped) results.get(2)).dropped().tag()).isEqualTo("dropped");
        assertThat(((Whole) results.get(3)).tag()).isEqualTo("small.2");
        assertThat(((Whole) results.get(3)).events()).hasSize(1);
    }

    @Test
    void eachMessageCountsOnlyItsOwnBytesAndNothingIsHeldBetweenMessages() {
        byte[] a = Mp.packed("a", entries(1L, map("k", "v")), map("chunk", "1"));
        byte[] b = Mp.packed("b", Mp.gzip(entries(2L, map("k", "w"))), map("compressed", "gzip"));
        byte[] c = Mp.message("c", 3L, map("k", "x"), null);
        MsgpackForwardDecoder decoder = new MsgpackForwardDecoder(CONFIG);
        EmbeddedChannel channel = new EmbeddedChannel(decoder);
        try {
            List<Long> wireBytes = new ArrayList<>();
            for (byte[] m : List.of(a, b, c)) {
                // the first half: a message is under way
                int half = m.length / 2;
                channel.writeInbound(Unpooled.wrappedBuffer(m, 0, half));
                assertThat(decoder.isMidMessage()).isTrue();
                channel.writeInbound(Unpooled.wrappedBuffer(m, half, m.length - half));
                ForwardEvents events = channel.readInbound();
                try {
                    wireBytes.add(events.wireBytes());
                } finally {
                    ReferenceCountUtil.release(events);
                }
                assertThat(decoder.isMidMessage()).isFalse();
                assertThat(decoder.decompressedBytes()).isZero();
            }
            assertThat(wireBytes).containsExactly((long) a.length, (long) b.length, (long) c.length);
        } finally {
            channel.finishAndReleaseAll();
        }
    }
}
