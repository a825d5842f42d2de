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
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.kinesisaggregator.server.codec.DecoderHarness.Ping;
import org.kinesisaggregator.server.codec.DecoderHarness.Result;
import org.kinesisaggregator.server.codec.DecoderHarness.Whole;
import org.kinesisaggregator.server.testing.LeakCheck;
import org.kinesisaggregator.server.testing.Mp;

/** {@link PingParser} on its own (a table of PINGs), and the decoder's handshake on an EmbeddedChannel. */
@ExtendWith(LeakCheck.class)
class PingParserTest {

    private static final ForwardDecoderConfig HANDSHAKE = ForwardDecoderConfig.builder(Clock.systemUTC())
            .expectHandshake(true)
            .build();

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] ping(Object... fields) {
        return pack(Arrays.asList(fields));
    }

    private static PingRequest parse(byte[] bytes) {
        return PingParser.parse(Unpooled.wrappedBuffer(bytes), 0, bytes.length);
    }

    static Stream<Arguments> wellFormed() {
        byte[] salt = {0, 1, 2, (byte) 0xfe};
        return Stream.of(
                Arguments.of(
                        Named.of(
                                "shared key, no user auth", ping("PING", "client.example", "salt", "0123abcd", "", "")),
                        new byte[][] {utf8("client.example"), utf8("salt"), utf8("0123abcd"), new byte[0], new byte[0]
                        }),
                Arguments.of(
                        Named.of("shared key and user auth", ping("PING", "h", "s", "d", "alice", "feedface")),
                        new byte[][] {utf8("h"), utf8("s"), utf8("d"), utf8("alice"), utf8("feedface")}),
                Arguments.of(
                        Named.of("salt as bin", ping("PING", "h", salt, "d", "", "")),
                        new byte[][] {utf8("h"), salt, utf8("d"), new byte[0], new byte[0]}),
                Arguments.of(
                        Named.of("all empty", ping("PING", "", "", "", "", "")),
                        new byte[][] {new byte[0], new byte[0], new byte[0], new byte[0], new byte[0]}),
                Arguments.of(
                        Named.of(
                                "str8 and str16 headers",
                                concat(
                                        new byte[] {(byte) 0x96},
                                        pack("PING"),
                                        new byte[] {(byte) 0xd9, 1, 'h'},
                                        new byte[] {(byte) 0xda, 0, 1, 's'},
                                        pack("d", "u", "p"))),
                        new byte[][] {utf8("h"), utf8("s"), utf8("d"), utf8("u"), utf8("p")}),
                Arguments.of(
                        Named.of("a long hostname", ping("PING", "h".repeat(40_000), "s", "d", "", "")),
                        new byte[][] {utf8("h".repeat(40_000)), utf8("s"), utf8("d"), new byte[0], new byte[0]}));
    }

    @ParameterizedTest
    @MethodSource("wellFormed")
    void readsAWellFormedPing(byte[] bytes, byte[][] fields) {
        PingRequest ping = parse(bytes);

        assertThat(ping.isWellFormed()).isTrue();
        assertThat(ping.problem()).isNull();
        assertThat(ping.hostname()).isEqualTo(fields[0]);
        assertThat(ping.sharedKeySalt()).isEqualTo(fields[1]);
        assertThat(ping.sharedKeyHexdigest()).isEqualTo(fields[2]);
        assertThat(ping.username()).isEqualTo(fields[3]);
        assertThat(ping.passwordHexdigest()).isEqualTo(fields[4]);
    }

    static Stream<Arguments> illFormed() {
        return Stream.of(
                Arguments.of(Named.of("five fields", ping("PING", "h", "s", "d", "u"))),
                Arguments.of(Named.of("seven fields", ping("PING", "h", "s", "d", "u", "p", "x"))),
                Arguments.of(Named.of("empty array", ping())),
                Arguments.of(Named.of("a map", pack(map("PING", "h")))),
                Arguments.of(Named.of("a str", pack("PING"))),
                Arguments.of(Named.of("nil", new byte[] {(byte) 0xc0})),
                Arguments.of(Named.of("a forward message", Mp.message("t", 1L, map(), null))),
                Arguments.of(Named.of("lower-case ping", ping("ping", "h", "s", "d", "", ""))),
                Arguments.of(Named.of("PONG", ping("PONG", "h", "s", "d", "", ""))),
                Arguments.of(Named.of("PING as bin", ping(utf8("PING"), "h", "s", "d", "", ""))),
                Arguments.of(Named.of("hostname as bin", ping("PING", utf8("h"), "s", "d", "", ""))),
                Arguments.of(Named.of("digest as bin", ping("PING", "h", "s", utf8("d"), "", ""))),
                Arguments.of(Named.of("hostname an int", ping("PING", 1L, "s", "d", "", ""))),
                Arguments.of(Named.of("username nil", ping("PING", "h", "s", "d", null, ""))),
                Arguments.of(Named.of("password an array", ping("PING", "h", "s", "d", "", List.of("p")))),
                Arguments.of(Named.of("salt a map", ping("PING", "h", map("s", 1L), "d", "", ""))));
    }

    @ParameterizedTest
    @MethodSource("illFormed")
    void anythingElseIsAnInvalidPingNotAnException(byte[] bytes) {
        PingRequest ping = parse(bytes);

        assertThat(ping.isWellFormed()).isFalse();
        assertThat(ping.problem()).isEqualTo("invalid ping message");
        assertThat(ping.hostname()).isNull();
    }

    @Test
    void aFieldReachingPastTheValueEndIsInvalid() {
        byte[] bytes = ping("PING", "h", "s", "digest", "", "");
        int lastFieldEnd = bytes.length;
        ByteBuf buf = Unpooled.wrappedBuffer(bytes);
        // the caller's end cuts the digest: a field past it is never read
        int digestInside = lastFieldEnd - 2 - 3;

        assertThat(PingParser.parse(buf, 0, digestInside).problem()).isEqualTo("invalid ping message");
        assertThat(PingParser.parse(buf, 0, lastFieldEnd - 1).problem()).isEqualTo("invalid ping message");
        assertThat(PingParser.parse(buf, 0, lastFieldEnd).isWellFormed()).isTrue();
    }

    @Test
    void readsAtAnOffsetWithoutConsuming() {
        byte[] bytes = concat(new byte[] {7, 7}, ping("PING", "h", "s", "d", "u", "p"), pack("after"));
        ByteBuf buf = Unpooled.wrappedBuffer(bytes);
        int end = bytes.length - pack("after").length;

        PingRequest ping = PingParser.parse(buf, 2, end);

        assertThat(ping.username()).isEqualTo(utf8("u"));
        assertThat(buf.readerIndex()).isZero();
    }

    // ------------------------------------------------------------ the decoder's handshake state

    @Test
    void theDecoderEmitsThePingAtEverySplitPointThenDecodesMessages() {
        byte[] hello = ping("PING", "client", "salt", "digest", "user", "pw");
        byte[] bytes = concat(hello, Mp.message("t", 1L, map("k", "v"), null));
        for (int cut = 1; cut < bytes.length; cut++) {
            try (DecoderHarness h = new DecoderHarness(HANDSHAKE)) {
                List<Result> results = h.feed(bytes, cut).finish().results();

                assertThat(results).as("cut at %d", cut).hasSize(2);
                PingRequest ping = ((Ping) results.get(0)).ping();
                assertThat(ping.hostname()).isEqualTo(utf8("client"));
                assertThat(ping.passwordHexdigest()).isEqualTo(utf8("pw"));
                assertThat(((Whole) results.get(1)).tag()).isEqualTo("t");
            }
        }
    }

    @Test
    void theDecoderPassesAnInvalidPingOnForTheHandshakeToRefuse() {
        try (DecoderHarness h = new DecoderHarness(HANDSHAKE)) {
            List<Result> results =
                    h.feed(ping("PING", "h", "s", "d", "u")).finish().results();

            assertThat(results).hasSize(1);
            assertThat(((Ping) results.get(0)).ping().problem()).isEqualTo("invalid ping message");
        }
    }

    @Test
    void theDecoderRefusesAPingLargerThanTheLimit() {
        int max = ForwardDecoderConfig.MAX_OPTION_BYTES;
        String expected = "ping: more than " + max + " bytes (expected: <= " + max + " bytes)";
        // declared: a str32 hostname of 1 GiB, refused from its header
        byte[] declared = concat(new byte[] {(byte) 0x96}, pack("PING"), new byte[] {(byte) 0xdb, 0x40, 0, 0, 0});
        // arrived: 64 KiB of a PING without its end
        byte[] arrived = new byte[max + 16];
        byte[] big = ping("PING", "h".repeat(max + 100), "s", "d", "", "");
        System.arraycopy(big, 0, arrived, 0, arrived.length);
        byte[] arrivedSmallFields =
                concat(new byte[] {(byte) 0x96}, pack("PING"), new byte[] {(byte) 0xdd, 0, 1, 0, 0});
        for (byte[] bytes : List.of(declared, arrived, withFiller(arrivedSmallFields, max))) {
            try (DecoderHarness h = new DecoderHarness(HANDSHAKE)) {
                assertThatThrownBy(() -> h.feed(bytes, 1, 100, max / 2))
                        .isInstanceOf(ForwardProtocolException.class)
                        .hasMessage(expected)
                        .extracting(e -> ((ForwardProtocolException) e).reason())
                        .isEqualTo(ErrorReason.HANDSHAKE);
                assertThat(h.results()).isEmpty();
            }
        }
    }

    /** {@code prefix} (an open array32) followed by fixints up to {@code length} bytes. */
    private static byte[] withFiller(byte[] prefix, int length) {
        byte[] bytes = new byte[length];
        System.arraycopy(prefix, 0, bytes, 0, prefix.length);
        return bytes;
    }
}
