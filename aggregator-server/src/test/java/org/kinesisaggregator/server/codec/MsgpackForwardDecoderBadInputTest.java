package org.kinesisaggregator.server.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.kinesisaggregator.server.testing.Mp.concat;
import static org.kinesisaggregator.server.testing.Mp.entries;
import static org.kinesisaggregator.server.testing.Mp.map;
import static org.kinesisaggregator.server.testing.Mp.pack;

import io.netty.buffer.UnpooledByteBufAllocator;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.kinesisaggregator.server.testing.LeakCheck;
import org.kinesisaggregator.server.testing.Mp;
import org.kinesisaggregator.server.testing.Mp.Ext;
import org.kinesisaggregator.server.testing.Mp.Raw;
import org.kinesisaggregator.server.testing.Mp.Str;
import org.kinesisaggregator.server.testing.Mp.Time;

/** Malformed input on an EmbeddedChannel: the error, its reason and message, and that nothing is allocated early. */
@ExtendWith(LeakCheck.class)
class MsgpackForwardDecoderBadInputTest {
    static final ForwardDecoderConfig CONFIG =
            ForwardDecoderConfig.defaults(Clock.fixed(Instant.parse("2026-01-02T03:04:05Z"), ZoneOffset.UTC));

    static ForwardProtocolException failure(ForwardDecoderConfig config, byte[] bytes, int... cuts) {
        try (DecoderHarness h = new DecoderHarness(config)) {
            Throwable t = Assertions.catchThrowable(() -> h.feed(bytes, cuts).finish());
            assertThat(t).as("decoding must fail").isInstanceOf(ForwardProtocolException.class);
            return (ForwardProtocolException) t;
        }
    }

    static byte[] bytes(int... b) {
        byte[] out = new byte[b.length];
        for (int i = 0; i < b.length; i++) {
            out[i] = (byte) b[i];
        }
        return out;
    }

    static Stream<Arguments> wrongTypesAtEveryPosition() {
        return Stream.of(
                Arguments.of(
                        "message is a str",
                        pack("hello"),
                        ErrorReason.MALFORMED,
                        "message: str (expected: an array, or nil)"),
                Arguments.of(
                        "message is a map",
                        pack(map("a", 1L)),
                        ErrorReason.MALFORMED,
                        "message: map (expected: an array, or nil)"),
                Arguments.of(
                        "message of 1", pack(List.of("t")), ErrorReason.MALFORMED, "message: array of 1 (expected:"),
                Arguments.of(
                        "message of 5",
                        pack(List.of("t", 1L, map(), map(), map())),
                        ErrorReason.MALFORMED,
                        "message: array of 5 (expected:"),
                Arguments.of(
                        "tag is an int",
                        pack(List.of(1L, 1L, map())),
                        ErrorReason.MALFORMED,
                        "tag: int (expected: str)"),
                Arguments.of(
                        "tag is a bin",
                        pack(List.of(new byte[] {1}, 1L, map())),
                        ErrorReason.MALFORMED,
                        "tag: bin (expected: str)"),
                Arguments.of(
                        "tag is nil",
                        pack(Arrays.asList(null, 1L, map())),
                        ErrorReason.MALFORMED,
                        "tag: nil (expected: str)"),
                Arguments.of(
                        "entries are a bool",
                        pack(List.of("t", true)),
                        ErrorReason.MALFORMED,
                        "message: array of 2 with bool entries"),
                Arguments.of(
                        "forward with 4 elements",
                        pack(List.of("t", List.of(), map(), map())),
                        ErrorReason.MALFORMED,
                        "message: array of 4 with array entries"),
                Arguments.of(
                        "option is an int",
                        pack(List.of("t", entries(1L, map()), 5L)),
                        ErrorReason.MALFORMED,
                        "option: int (expected: map)"),
                Arguments.of(
                        "option is a str (message mode)",
                        pack(List.of("t", 1L, map(), "opt")),
                        ErrorReason.MALFORMED,
                        "option: str (expected: map)"),
                Arguments.of(
                        "compressed is an int",
                        Mp.packed("t", entries(1L, map()), map("compressed", 1L)),
                        ErrorReason.MALFORMED,
                        "compressed: <int> (expected: gzip, zstd or text)"),
                Arguments.of(
                        "compressed is unknown",
                        Mp.packed("t", entries(1L, map()), map("compressed", "lz4")),
                        ErrorReason.MALFORMED,
                        "compressed: lz4 (expected: gzip, zstd or text)"),
                Arguments.of(
                        "compressed gzip but plain entries",
                        Mp.packed("t", entries(1L, map()), map("compressed", "gzip")),
                        ErrorReason.MALFORMED,
                        "compressed: gzip (expected: text, as the entries are plain msgpack)"),
                Arguments.of(
                        "gzip entries without compressed",
                        Mp.packed("t", Mp.gzip(entries(1L, map())), map("size", 1L)),
                        ErrorReason.MALFORMED,
                        "compressed: absent (expected: gzip, as the entries start with the gzip magic bytes)"),
                Arguments.of(
                        "never-used byte in a record",
                        Mp.packed("t", concat(bytes(0x92, 0x01, 0x81, 0xa1, 'k'), bytes(0xc1)), null),
                        ErrorReason.MALFORMED,
                        "never-used byte 0xc1"),
                Arguments.of(
                        "never-used byte as time",
                        Mp.packed("t", bytes(0x92, 0xc1, 0x80), null),
                        ErrorReason.MALFORMED,
                        "time: never-used byte 0xc1"),
                Arguments.of(
                        "EventTime of 4 bytes",
                        pack(List.of("t", new Ext(0, new byte[4]), map())),
                        ErrorReason.MALFORMED,
                        "time: EventTime of 4 bytes (expected: 8 bytes)"),
                Arguments.of(
                        "EventTime of 12 bytes in entries",
                        Mp.packed("t", pack(List.of(new Ext(0, new byte[12]), map())), null),
                        ErrorReason.MALFORMED,
                        "time: EventTime of 12 bytes (expected: 8 bytes)"),
                Arguments.of(
                        "non-UTF-8 tag",
                        pack(List.of(new Str(bytes(0x61, 0xff, 0xfe)), 1L, map())),
                        ErrorReason.MALFORMED,
                        "tag: invalid UTF-8"),
                Arguments.of(
                        "tag of 70000 bytes",
                        pack(List.of("t".repeat(70_000), 1L, map())),
                        ErrorReason.LIMIT,
                        "tag: 70000 bytes (expected: <= 65535 bytes)"),
                Arguments.of(
                        "entries end inside an event",
                        Mp.packed("t", Arrays.copyOf(entries(1L, map("k", "value")), 6), null),
                        ErrorReason.MALFORMED,
                        "entries:"),
                Arguments.of(
                        "a str in a record reaching past the entries",
                        Mp.packed("t", bytes(0x92, 0x01, 0x81, 0xa1, 'k', 0xdb, 0x7f, 0xff, 0xff, 0xff), null),
                        ErrorReason.MALFORMED,
                        "entries:"),
                Arguments.of(
                        "an array32 of 4G elements in a record",
                        Mp.packed("t", bytes(0x92, 0x01, 0x81, 0xa1, 'k', 0xdd, 0xff, 0xff, 0xff, 0xff, 0x01), null),
                        ErrorReason.MALFORMED,
                        "entries:"),
                Arguments.of(
                        "invalid gzip data",
                        Mp.packed(
                                "t",
                                concat(bytes(0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3), bytes(0xff, 0xff, 0xff, 0xff)),
                                map("compressed", "gzip")),
                        ErrorReason.DECOMPRESSION,
                        "entries: invalid gzip data"),
                Arguments.of(
                        "gzip with a wrong CRC",
                        Mp.packed("t", corruptCrc(Mp.gzip(entries(1L, map("a", 1L)))), map("compressed", "gzip")),
                        ErrorReason.DECOMPRESSION,
                        "entries: gzip CRC-32"),
                Arguments.of(
                        "truncated gzip",
                        Mp.packed(
                                "t",
                                truncate(Mp.gzip(entries(1L, map("a", "b".repeat(100)))), 12),
                                map("compressed", "gzip")),
                        ErrorReason.DECOMPRESSION,
                        "entries: truncated gzip data"),
                Arguments.of(
                        "garbage after a gzip member",
                        Mp.packed(
                                "t",
                                concat(Mp.gzip(entries(1L, map())), bytes(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)),
                                map("compressed", "gzip")),
                        ErrorReason.DECOMPRESSION,
                        "entries: gzip member starting with 0x01 (expected: 1f 8b)"),
                Arguments.of(
                        "invalid zstd data",
                        Mp.packed(
                                "t",
                                concat(bytes(0x28, 0xb5, 0x2f, 0xfd), bytes(0xff, 0xff, 0xff, 0xff, 0xff)),
                                map("compressed", "zstd")),
                        ErrorReason.DECOMPRESSION,
                        "zstd data"),
                Arguments.of(
                        "a ping without a handshake",
                        pack(List.of("PING", "host", "salt", "digest", "", "")),
                        ErrorReason.MALFORMED,
                        "message: array of 6"),
                Arguments.of(
                        "malformed JSON",
                        "[\"t\", 1, {\"a\": }]".getBytes(StandardCharsets.UTF_8),
                        ErrorReason.MALFORMED,
                        "json:"),
                Arguments.of(
                        "JSON that is not an array",
                        "{\"t\": 1}".getBytes(StandardCharsets.UTF_8),
                        ErrorReason.MALFORMED,
                        "message: JSON object (expected: a JSON array)"));
    }

    static byte[] corruptCrc(byte[] gzip) {
        byte[] copy = gzip.clone();
        copy[copy.length - 8] ^= 0x55;
        return copy;
    }

    static byte[] truncate(byte[] b, int drop) {
        return Arrays.copyOf(b, b.length - drop);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource
    void wrongTypesAtEveryPosition(String name, byte[] bytes, ErrorReason reason, String message) {
        ForwardProtocolException e = failure(CONFIG, bytes);
        assertThat(e.reason()).isEqualTo(reason);
        assertThat(e.getMessage()).contains(message);
        // split anywhere, the verdict is the same
        ForwardProtocolException split = failure(CONFIG, bytes, 1, bytes.length / 2);
        assertThat(split.reason()).isEqualTo(reason);
    }

    @Test
    void everyTruncationOfAValidStreamIsReportedWhenTheConnectionEnds() {
        byte[] stream = MsgpackForwardDecoderTest.streamOfEveryMode();
        int truncations = 0;
        for (int length = 1; length < stream.length; length++) {
            byte[] prefix = Arrays.copyOf(stream, length);
            try (DecoderHarness h = new DecoderHarness(CONFIG)) {
                h.feed(prefix);
                Throwable t = Assertions.catchThrowable(h::finish);
                if (t != null) {
                    assertThat(t).isInstanceOf(ForwardProtocolException.class);
                    assertThat(((ForwardProtocolException) t).reason()).isEqualTo(ErrorReason.TRUNCATED);
                    assertThat(t.getMessage()).startsWith("message: connection ended after ");
                    truncations++;
                }
            }
        }
        // all but the 7 prefixes that end exactly at a message boundary (the nil message is one of them)
        assertThat(truncations).isEqualTo(stream.length - 1 - 7);
    }

    @Test
    void afterAnErrorEverythingIsDiscardedUntilTheConnectionCloses() {
        try (DecoderHarness h = new DecoderHarness(CONFIG)) {
            assertThatThrownBy(() -> h.feed(pack("not a message"))).isInstanceOf(ForwardProtocolException.class);
            h.feed(Mp.message("t", 1L, map(), null));
            h.finish();
            assertThat(h.results()).isEmpty();
        }
    }

    @Test
    void hugeDeclaredLengthsAllocateNothingBeforeTheBytesArrive() {
        UnpooledByteBufAllocator alloc = new UnpooledByteBufAllocator(false);
        // PackedForward claiming 4 GiB of entries, then Forward with a record str32 claiming 1 GiB
        byte[] packedHeader =
                concat(bytes(0x93), pack("t"), bytes(0xc6, 0xff, 0xff, 0xff, 0xf0), entries(1L, map("a", 1L)));
        try (DecoderHarness h = new DecoderHarness(CONFIG, alloc)) {
            h.feed(packedHeader);
            assertThat(alloc.metric().usedHeapMemory() + alloc.metric().usedDirectMemory())
                    .isLessThan(64 * 1024);
            assertThat(h.results()).isEmpty();
            assertThatThrownBy(h::finish)
                    .isInstanceOf(ForwardProtocolException.class)
                    .hasMessageContaining("connection ended after");
        }
        byte[] forwardHeader = concat(
                bytes(0x93),
                pack("t"),
                bytes(0x91, 0x92, 0x01, 0x81, 0xa1, 'k', 0xdb, 0x40, 0, 0, 0),
                "abc".getBytes(StandardCharsets.UTF_8));
        try (DecoderHarness h = new DecoderHarness(CONFIG, alloc)) {
            h.feed(forwardHeader);
            assertThat(alloc.metric().usedHeapMemory() + alloc.metric().usedDirectMemory())
                    .isLessThan(64 * 1024);
            assertThatThrownBy(h::finish).isInstanceOf(ForwardProtocolException.class);
        }
    }

    @Test
    void anEventLargerThanTheLimitIsSkippedWhileItsBytesAreDiscarded() {
        ForwardDecoderConfig config =
                CONFIG.toBuilder().limits(0, 1 << 30, 4096).build();
        UnpooledByteBufAllocator alloc = new UnpooledByteBufAllocator(false);
        byte[] big = "x".repeat(200_000).getBytes(StandardCharsets.UTF_8);
        byte[] message = Mp.forward(
                "t",
                List.of(
                        List.of(1L, map("small", 1L)),
                        List.of(2L, map("big", new Str(big))),
                        List.of(3L, map("small", 2L))),
                map("chunk", "c"));
        try (DecoderHarness h = new DecoderHarness(config, alloc)) {
            int[] cuts = new int[message.length / 8192];
            for (int i = 0; i < cuts.length; i++) {
                cuts[i] = (i + 1) * 8192;
            }
            h.feed(message, cuts);
            assertThat(alloc.metric().usedHeapMemory() + alloc.metric().usedDirectMemory())
                    .isLessThan(64 * 1024);
            h.finish();
            DecoderHarness.Whole whole = (DecoderHarness.Whole) h.results().get(0);
            assertThat(whole.events()).hasSize(2);
            assertThat(whole.skipped()).isEqualTo(1);
            assertThat(whole.skipReason()).isEqualTo("event 2: event: more than 4096 bytes (expected: <= 4096)");
        }
        ForwardProtocolException refused =
                failure(config.toBuilder().skipInvalidEvent(false).build(), message);
        assertThat(refused.reason()).isEqualTo(ErrorReason.INVALID_EVENT);
    }

    @Test
    void deeplyNestedRecordsAreRefused() {
        byte[] nested = new byte[5000];
        Arrays.fill(nested, (byte) 0x91);
        byte[] record = concat(bytes(0x81, 0xa1, 'k'), nested, bytes(0x01));
        ForwardProtocolException e = failure(CONFIG, Mp.packed("t", concat(bytes(0x92, 0x01), record), null));
        assertThat(e.reason()).isEqualTo(ErrorReason.LIMIT);
        assertThat(e.getMessage()).isEqualTo("nesting depth: > 1000 (expected: <= 1000)");

        String json = "[\"t\", 1, {\"k\": " + "[".repeat(3000) + "]".repeat(3000) + "}]";
        ForwardProtocolException j = failure(CONFIG, json.getBytes(StandardCharsets.UTF_8));
        assertThat(j.reason()).isEqualTo(ErrorReason.LIMIT);
    }

    @Test
    void decompressionSizeLimitStopsAZipBomb() {
        byte[] zeros = new byte[8 * 1024 * 1024];
        byte[] bomb = Mp.gzip(pack(List.of(1L, map("z", zeros))));
        assertThat(bomb.length).isLessThan(64 * 1024);
        ForwardDecoderConfig config =
                CONFIG.toBuilder().limits(0, 1024 * 1024, 16 * 1024 * 1024).build();
        ForwardProtocolException e = failure(config, Mp.packed("t", bomb, map("compressed", "gzip")));
        assertThat(e.reason()).isEqualTo(ErrorReason.DECOMPRESSION);
        assertThat(e.getMessage())
                .startsWith("entries: more than decompression_size_limit 1048576 bytes (1048577 decompressed so far,");
    }

    @Test
    void aSizeThatDisagreesWithTheEntriesIsIgnored() {
        List<DecoderHarness.Result> results;
        try (DecoderHarness h = new DecoderHarness(CONFIG)) {
            results = h.feed(concat(
                            Mp.packed("t", entries(1L, map(), 2L, map()), map("size", 100_000L)),
                            Mp.packed("t", entries(new Time(3, 0), map()), map("size", -5L))))
                    .finish()
                    .results();
        }
        assertThat(results).hasSize(2);
        assertThat(((DecoderHarness.Whole) results.get(0)).events()).hasSize(2);
        assertThat(((DecoderHarness.Whole) results.get(1)).events()).hasSize(1);
    }

    @Test
    void rawInvalidEntriesInMessageModeAreSkippedButAcked() {
        try (DecoderHarness h = new DecoderHarness(CONFIG)) {
            List<DecoderHarness.Result> results = h.feed(concat(
                            pack(List.of("t", true, map(), map("chunk", "a"))),
                            pack(List.of("t", 1L, "record as a string", map("chunk", "b"))),
                            pack(Arrays.asList("t", 1L, null, map("chunk", "c"))),
                            pack(List.of("t", new Raw(bytes(0xd4, 0x05, 0x00)), map(), map("chunk", "d")))))
                    .finish()
                    .results();
            assertThat(results).hasSize(4).allSatisfy(r -> {
                DecoderHarness.Whole w = (DecoderHarness.Whole) r;
                assertThat(w.events()).isEmpty();
                assertThat(w.skipped()).isEqualTo(1);
                assertThat(w.option().wantsAck()).isTrue();
            });
        }
    }
}
