package org.kinesisaggregator.server.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.kinesisaggregator.server.testing.Mp.concat;
import static org.kinesisaggregator.server.testing.Mp.map;
import static org.kinesisaggregator.server.testing.Mp.pack;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.Collections;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** {@link OptionParser} on its own: a table of option shapes, every split point, the limits. */
class OptionParserTest {

    private static final byte[] NO_BYTES = null;
    private static final int DEPTH =
            ForwardDecoderConfig.defaults(Clock.systemUTC()).maxDepth();

    /** One row: the option's bytes and what must come out of them. */
    record Row(byte[] bytes, byte[] ackValue, byte[] dedupKey, long sizeHint, String compressed) {
        boolean isNone() {
            return ackValue == null && sizeHint < 0 && compressed == null;
        }
    }

    private static Arguments row(String name, byte[] bytes, byte[] ack, byte[] dedup, long size, String compressed) {
        return Arguments.of(Named.of(name, new Row(bytes, ack, dedup, size, compressed)));
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** A one-pair map {@code {key => value}} with the value's bytes exactly as given. */
    private static byte[] pair(String key, byte[] rawValue) {
        return concat(new byte[] {(byte) 0x81}, pack(key), rawValue);
    }

    static Stream<Arguments> table() {
        byte[] str8 = {(byte) 0xd9, 3, 'a', 'b', '\n'};
        byte[] bin = {1, 2, 3, (byte) 0xff};
        return Stream.of(
                row("nil", new byte[] {(byte) 0xc0}, null, null, -1, null),
                row("empty map", pack(map()), null, null, -1, null),
                row("chunk str", pack(map("chunk", "abc=\n")), pack("abc=\n"), utf8("abc=\n"), -1, null),
                row("chunk str8 echoed as str8", pair("chunk", str8), str8, utf8("ab\n"), -1, null),
                row("chunk bin", pack(map("chunk", bin)), pack((Object) bin), bin, -1, null),
                row("chunk empty str", pack(map("chunk", "")), pack(""), NO_BYTES, -1, null),
                row("chunk empty bin", pack(map("chunk", new byte[0])), pack((Object) new byte[0]), null, -1, null),
                row("chunk nil", pair("chunk", new byte[] {(byte) 0xc0}), new byte[] {(byte) 0xc0}, null, -1, null),
                row("chunk number", pack(map("chunk", 7L)), pack(7L), null, -1, null),
                row("chunk map", pack(map("chunk", map("a", 1L))), pack(map("a", 1L)), null, -1, null),
                row(
                        "the last chunk wins",
                        concat(new byte[] {(byte) 0x82}, pack("chunk", "one", "chunk", 2L)),
                        pack(2L),
                        null,
                        -1,
                        null),
                row("size int", pack(map("size", 3L)), null, null, 3, null),
                row("size uint64", pack(map("size", 1L << 40)), null, null, 1L << 40, null),
                row("size str is no size", pack(map("size", "3")), null, null, -1, null),
                row("size float is no size", pack(map("size", 3.0d)), null, null, -1, null),
                row("compressed gzip", pack(map("compressed", "gzip")), null, null, -1, "gzip"),
                row("compressed zstd", pack(map("compressed", "zstd")), null, null, -1, "zstd"),
                row("compressed text", pack(map("compressed", "text")), null, null, -1, "text"),
                row("compressed unknown name", pack(map("compressed", "lz4")), null, null, -1, "lz4"),
                row("compressed int", pack(map("compressed", 1L)), null, null, -1, "<int>"),
                row("compressed nil", pair("compressed", new byte[] {(byte) 0xc0}), null, null, -1, "<nil>"),
                row(
                        "unknown keys only",
                        pack(map("fluent_signal", 1L, "eventEntryDataSize", 10L)),
                        null,
                        null,
                        -1,
                        null),
                row(
                        "a non-str key is skipped",
                        concat(new byte[] {(byte) 0x82}, pack(1L, "x", "size", 5L)),
                        null,
                        null,
                        5,
                        null),
                row(
                        "a bin key is not a str key",
                        concat(new byte[] {(byte) 0x81}, pack((Object) utf8("size"), 5L)),
                        null,
                        null,
                        -1,
                        null),
                row(
                        "nested values around the known keys",
                        pack(map(
                                "x",
                                map("y", List.of(1L, map("z", List.of())), "w", "v"),
                                "chunk",
                                "c",
                                "size",
                                2L,
                                "compressed",
                                "gzip",
                                "tail",
                                List.of(List.of(List.of())))),
                        pack("c"),
                        utf8("c"),
                        2,
                        "gzip"),
                row(
                        "map16 header",
                        concat(new byte[] {(byte) 0xde, 0, 1}, pack("chunk", "k")),
                        pack("k"),
                        utf8("k"),
                        -1,
                        null));
    }

    @ParameterizedTest
    @MethodSource("table")
    void readsEveryOptionShape(Row row) {
        OptionParser.Parsed parsed = parse(row.bytes(), 0);

        assertThat(parsed).isNotNull();
        assertThat(parsed.length()).isEqualTo(row.bytes().length);
        ForwardOption option = parsed.option();
        assertThat(option.ackValue()).isEqualTo(row.ackValue());
        assertThat(option.dedupKey()).isEqualTo(row.dedupKey());
        assertThat(option.sizeHint()).isEqualTo(row.sizeHint());
        assertThat(option.compressed()).isEqualTo(row.compressed());
        assertThat(option.wantsAck()).isEqualTo(row.ackValue() != null);
        if (row.isNone()) {
            assertThat(option).isSameAs(ForwardOption.NONE);
        }
    }

    @ParameterizedTest
    @MethodSource("table")
    void everyProperPrefixIsIncompleteAndTheWholeIsReadAtAnyPosition(Row row) {
        byte[] bytes = row.bytes();
        for (int cut = 0; cut < bytes.length; cut++) {
            byte[] prefix = new byte[cut];
            System.arraycopy(bytes, 0, prefix, 0, cut);
            assertThat(parse(prefix, 0)).as("prefix of %d bytes", cut).isNull();
        }
        // after other bytes, with more after it: only the option's own bytes count
        byte[] around = concat(new byte[] {9, 9, 9}, bytes, pack("next", 1L));
        OptionParser.Parsed parsed = parse(around, 3);
        assertThat(parsed).isNotNull();
        assertThat(parsed.length()).isEqualTo(bytes.length);
        assertThat(parsed.option().ackValue()).isEqualTo(row.ackValue());
        assertThat(parsed.option().dedupKey()).isEqualTo(row.dedupKey());
    }

    @Test
    void somethingElseThanAMapOrNilIsMalformed() {
        for (Object value : new Object[] {"chunk", 1L, List.of("chunk", "x"), new byte[] {1}, true}) {
            assertThatThrownBy(() -> parse(pack(value), 0))
                    .as("option %s", value)
                    .isInstanceOf(ForwardProtocolException.class)
                    .hasMessageStartingWith("option: ")
                    .hasMessageEndingWith("(expected: map)")
                    .extracting(e -> ((ForwardProtocolException) e).reason())
                    .isEqualTo(ErrorReason.MALFORMED);
        }
    }

    @Test
    void anOptionLargerThanTheLimitIsRefusedBeforeItAllArrives() {
        int max = ForwardDecoderConfig.MAX_OPTION_BYTES;
        // a str32 value declaring more than the limit: refused from its header alone
        byte[] declared = concat(new byte[] {(byte) 0x81}, pack("chunk"), new byte[] {(byte) 0xdb, 0, 2, 0, 0});
        assertThatThrownBy(() -> parse(declared, 0))
                .isInstanceOf(ForwardProtocolException.class)
                .hasMessage("option: more than " + max + " bytes (expected: <= " + max + " bytes)");

        // many small values: refused once the limit's worth has arrived without the map's end
        byte[] big = pack(map("chunk", "c", "pad", Collections.nCopies(max / 8 + 1, "abcdefg")));
        assertThat(big.length).isGreaterThan(max);
        byte[] atLimit = new byte[max];
        System.arraycopy(big, 0, atLimit, 0, max);
        assertThatThrownBy(() -> parse(atLimit, 0))
                .isInstanceOf(ForwardProtocolException.class)
                .hasMessage("option: more than " + max + " bytes (expected: <= " + max + " bytes)");
        byte[] belowLimit = new byte[max - 1];
        System.arraycopy(big, 0, belowLimit, 0, max - 1);
        assertThat(parse(belowLimit, 0)).isNull();

        // just within the limit is read
        byte[] fits = pack(map("chunk", "c", "pad", "x".repeat(max - 64)));
        assertThat(fits.length).isLessThanOrEqualTo(max);
        assertThat(parse(fits, 0).option().dedupKey()).isEqualTo(utf8("c"));
    }

    @Test
    void aNeverUsedByteInsideTheMapIsMalformed() {
        byte[] bad = pair("x", new byte[] {(byte) 0xc1});
        assertThatThrownBy(() -> parse(bad, 0))
                .isInstanceOf(ForwardProtocolException.class)
                .hasMessageContaining("0xc1");
    }

    @Test
    void theParserKeepsNothingBetweenCalls() {
        MsgpackSkipper scratch = new MsgpackSkipper(DEPTH);
        OptionParser parser = new OptionParser(scratch);
        byte[] first = pack(map("chunk", "one", "size", 1L));
        byte[] half = new byte[first.length / 2];
        System.arraycopy(first, 0, half, 0, half.length);
        ByteBuf partial = Unpooled.wrappedBuffer(half);
        ByteBuf other = Unpooled.wrappedBuffer(pack(map("chunk", "two")));

        assertThat(parser.parse(partial, 0)).isNull();
        // an unrelated option next (as after an abandoned message) is read on its own
        ForwardOption two = parser.parse(other, 0).option();
        assertThat(two.dedupKey()).isEqualTo(utf8("two"));
        assertThat(two.sizeHint()).isEqualTo(-1);
        assertThat(parser.parse(Unpooled.wrappedBuffer(first), 0).option().dedupKey())
                .isEqualTo(utf8("one"));
    }

    private static OptionParser.Parsed parse(byte[] bytes, int index) {
        OptionParser parser = new OptionParser(new MsgpackSkipper(DEPTH));
        ByteBuf buf = Unpooled.wrappedBuffer(bytes);
        int readerIndex = buf.readerIndex();
        OptionParser.Parsed parsed = parser.parse(buf, index);
        assertThat(buf.readerIndex()).as("nothing consumed").isEqualTo(readerIndex);
        return parsed;
    }
}
