package org.kinesisaggregator.server.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.kinesisaggregator.server.codec.MsgpackForwardDecoderBadInputTest.CONFIG;
import static org.kinesisaggregator.server.codec.MsgpackForwardDecoderBadInputTest.bytes;
import static org.kinesisaggregator.server.codec.MsgpackForwardDecoderBadInputTest.failure;
import static org.kinesisaggregator.server.testing.Mp.entries;
import static org.kinesisaggregator.server.testing.Mp.map;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.kinesisaggregator.server.testing.Event;
import org.kinesisaggregator.server.testing.LeakCheck;
import org.kinesisaggregator.server.testing.Mp;
import org.kinesisaggregator.server.testing.Mp.Raw;
import org.kinesisaggregator.server.testing.Mp.Time;

/**
 * Times no output can represent (issue 12 finding 1): an invalid event like any other, skipped
 * alone under {@code skip_invalid_event true}, the message refused under false; times at the edges
 * of the range pass unchanged.
 */
@ExtendWith(LeakCheck.class)
class MsgpackForwardDecoderTimeRangeTest {
    private static final String RANGE = "(expected: 0..4294967295 seconds since the epoch, 1970..2106)";

    static Stream<Arguments> poisonTimes() {
        return Stream.of(
                Arguments.of("float64 1e300", 1e300, "time: float 1.0E300 " + RANGE),
                Arguments.of("float64 -1e300", -1e300, "time: float -1.0E300 " + RANGE),
                Arguments.of("float32 3e38", 3e38f, "time: float 3.0000000054977558E38 " + RANGE),
                Arguments.of("float64 2^32", 4294967296.0, "time: float 4.294967296E9 " + RANGE),
                Arguments.of("float64 -1.5", -1.5, "time: float -1.5 " + RANGE),
                Arguments.of("int64 -2^63", Long.MIN_VALUE, "time: integer -9223372036854775808 " + RANGE),
                Arguments.of(
                        "int64 2^63-1",
                        new Raw(bytes(0xd3, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)),
                        "time: integer 9223372036854775807 " + RANGE),
                Arguments.of(
                        "uint64 2^63",
                        new Raw(bytes(0xcf, 0x80, 0, 0, 0, 0, 0, 0, 0)),
                        "time: integer 9223372036854775808 " + RANGE),
                Arguments.of("uint64 2^32", 4294967296L, "time: integer 4294967296 " + RANGE),
                Arguments.of("negative fixint -1", -1L, "time: integer -1 " + RANGE),
                Arguments.of("int32 -2^31", (long) Integer.MIN_VALUE, "time: integer -2147483648 " + RANGE),
                Arguments.of(
                        "EventTime nanoseconds 10^9",
                        new Time(1_700_000_000L, 1_000_000_000),
                        "time: EventTime nanoseconds 1000000000 (expected: 0..999999999)"),
                Arguments.of(
                        "EventTime nanoseconds 2^32-1",
                        new Time(1_700_000_000L, -1),
                        "time: EventTime nanoseconds 4294967295 (expected: 0..999999999)"));
    }

    /** PackedForward, Forward, Message and Fluent Bit's [[time, metadata], record]: the same rule. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("poisonTimes")
    void aTimeOutsideTheRangeIsAnInvalidEventSkippedAlone(String name, Object time, String reason) {
        List<byte[]> messages = List.of(
                Mp.packed("t", entries(1L, map("n", 1L), time, map("n", 2L), 3L, map("n", 3L)), map("chunk", "p")),
                Mp.forward(
                        "t",
                        List.of(
                                List.of(1L, map("n", 1L)),
                                List.of(List.of(time, map("meta", 1L)), map("n", 2L)),
                                List.of(3L, map("n", 3L))),
                        map("chunk", "f")));
        for (byte[] message : messages) {
            try (DecoderHarness h = new DecoderHarness(CONFIG)) {
                List<DecoderHarness.Result> results = h.feed(message).finish().results();
                assertThat(results).hasSize(1);
                DecoderHarness.Whole whole = (DecoderHarness.Whole) results.get(0);
                assertThat(whole.events()).extracting(Event::epochSecond).containsExactly(1L, 3L);
                assertThat(whole.skipped()).isEqualTo(1);
                assertThat(whole.skipReason()).isEqualTo("event 2: " + reason);
                assertThat(whole.option().wantsAck()).isTrue();
            }
            ForwardProtocolException refused =
                    failure(CONFIG.toBuilder().skipInvalidEvent(false).build(), message);
            assertThat(refused.reason()).isEqualTo(ErrorReason.INVALID_EVENT);
            assertThat(refused.getMessage()).isEqualTo("event 2: " + reason);
        }
        byte[] single = Mp.message("t", time, map("n", 2L), map("chunk", "m"));
        try (DecoderHarness h = new DecoderHarness(CONFIG)) {
            DecoderHarness.Whole whole =
                    (DecoderHarness.Whole) h.feed(single).finish().results().get(0);
            assertThat(whole.events()).isEmpty();
            assertThat(whole.skipped()).isEqualTo(1);
            assertThat(whole.skipReason()).isEqualTo("event 1: " + reason);
        }
        assertThat(failure(CONFIG.toBuilder().skipInvalidEvent(false).build(), single)
                        .getMessage())
                .isEqualTo("event 1: " + reason);
    }

    /** The poison time split at every byte: the parser's resumable walk reaches the same verdict. */
    @Test
    void aPoisonTimeIsFoundWhereverTheInputIsCut() {
        byte[] message =
                Mp.packed("t", entries(1L, map("n", 1L), 1e300, map("n", 2L), 3L, map("n", 3L)), map("chunk", "c"));
        for (int cut = 1; cut < message.length; cut++) {
            try (DecoderHarness h = new DecoderHarness(CONFIG)) {
                DecoderHarness.Whole whole = (DecoderHarness.Whole)
                        h.feed(message, cut, cut + 1).finish().results().get(0);
                assertThat(whole.events()).as("cut at %d", cut).hasSize(2);
                assertThat(whole.skipped()).isEqualTo(1);
            }
        }
    }

    @Test
    void timesAtTheEdgesOfTheRangePassUnchanged() {
        byte[] entries = entries(
                1L,
                map("n", 1L),
                4294967295L,
                map("n", 2L),
                new Time(4294967295L, 999_999_999),
                map("n", 3L),
                new Time(1L, 0),
                map("n", 4L),
                4294967295.5,
                map("n", 5L),
                1.0,
                map("n", 6L));
        byte[] message = Mp.packed("t", entries, null);
        try (DecoderHarness h = new DecoderHarness(CONFIG)) {
            DecoderHarness.Whole whole =
                    (DecoderHarness.Whole) h.feed(message).finish().results().get(0);
            assertThat(whole.skipped()).isZero();
            assertThat(whole.events())
                    .extracting(e -> e.epochSecond() + "." + e.nanos())
                    .containsExactly(
                            "1.0", "4294967295.0", "4294967295.999999999", "1.0", "4294967295.500000000", "1.0");
            // stored exactly as they came
            assertThat(whole.entries()).isEqualTo(entries);
        }
    }

    @Test
    void zeroAndFractionsOfASecondStillMeanNow() {
        long now = CONFIG.clock().instant().getEpochSecond();
        byte[] message =
                Mp.packed("t", entries(0L, map(), 0.5, map(), -0.5, map(), new Time(0, 1_500_000_000), map()), null);
        try (DecoderHarness h = new DecoderHarness(CONFIG)) {
            DecoderHarness.Whole whole =
                    (DecoderHarness.Whole) h.feed(message).finish().results().get(0);
            assertThat(whole.skipped()).isZero();
            assertThat(whole.events()).extracting(Event::epochSecond).containsOnly(now);
        }
    }

    @Test
    void jsonTimesOutsideTheRangeAreInvalidEvents() {
        String json = "[\"t\", [[1, {\"n\": 1}], [1e300, {\"n\": 2}], [-9223372036854775808, {\"n\": 3}],"
                + " [18446744073709551616, {\"n\": 4}], [4294967296.5, {\"n\": 5}], [4294967295.5, {\"n\": 6}]],"
                + " {\"chunk\": \"j\"}]";
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        try (DecoderHarness h = new DecoderHarness(CONFIG)) {
            DecoderHarness.Whole whole =
                    (DecoderHarness.Whole) h.feed(bytes).finish().results().get(0);
            assertThat(whole.events())
                    .extracting(e -> e.epochSecond() + "." + e.nanos())
                    .containsExactly("1.0", "4294967295.500000000");
            assertThat(whole.skipped()).isEqualTo(4);
            assertThat(whole.skipReason()).isEqualTo("event 2: time: float 1.0E300 " + RANGE);
        }
        ForwardProtocolException refused =
                failure(CONFIG.toBuilder().skipInvalidEvent(false).build(), bytes);
        assertThat(refused.reason()).isEqualTo(ErrorReason.INVALID_EVENT);
        assertThat(refused.getMessage()).isEqualTo("event 2: time: float 1.0E300 " + RANGE);
    }
}
