package org.kinesisaggregator.server.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.kinesisaggregator.server.testing.Mp.map;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.kinesisaggregator.server.codec.DecoderHarness.Ping;
import org.kinesisaggregator.server.codec.DecoderHarness.Result;
import org.kinesisaggregator.server.codec.DecoderHarness.Whole;
import org.kinesisaggregator.server.testing.Event;
import org.kinesisaggregator.server.testing.LeakCheck;

/** JSON-framed connections on an EmbeddedChannel: the first byte sniffed, then {@link JsonForwardDecoder}. */
@ExtendWith(LeakCheck.class)
class JsonForwardDecoderTest {
    private static final Instant NOW = Instant.parse("2026-01-02T03:04:05.5Z");
    private static final ForwardDecoderConfig CONFIG = ForwardDecoderConfig.defaults(Clock.fixed(NOW, ZoneOffset.UTC));

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static List<Result> decode(ForwardDecoderConfig config, String json, int... cuts) {
        try (DecoderHarness h = new DecoderHarness(config)) {
            return h.feed(utf8(json), cuts).finish().results();
        }
    }

    private static ForwardProtocolException failure(ForwardDecoderConfig config, String json) {
        try (DecoderHarness h = new DecoderHarness(config)) {
            Throwable t = catchThrowable(() -> h.feed(utf8(json)).finish());
            assertThat(t).isInstanceOf(ForwardProtocolException.class);
            return (ForwardProtocolException) t;
        }
    }

    private static Event ev(String tag, long s, int ns, Map<String, Object> record) {
        return Event.of(tag, s, ns, record);
    }

    @Test
    void requestsOfBothShapesAtEverySplitPoint() {
        String json = "[\"j.msg\", 1700000000, {\"k\": \"v\"}, {\"chunk\": \"id1\", \"size\": 1}]\n"
                + "null\n"
                + "[\"j.fwd\", [[1700000001, {\"a\": 1}], [0, {\"now\": true}]], {\"chunk\": 7}]"
                + "{\"not\": \"reached\"}";
        String good = json.substring(0, json.indexOf("{\"not\""));
        for (int cut = 0; cut <= good.length(); cut++) {
            List<Result> results = decode(
                    CONFIG.toBuilder().addTagPrefix("in").eventMetadataKey(null).build(), good, cut);

            assertThat(results).as("cut at %d", cut).hasSize(2);
            Whole msg = (Whole) results.get(0);
            assertThat(msg.mode()).isEqualTo(ForwardMode.JSON);
            assertThat(msg.events()).containsExactly(ev("in.j.msg", 1_700_000_000L, 0, map("k", "v")));
            assertThat(msg.option().ackValue()).isEqualTo(utf8("\"id1\""));
            assertThat(msg.option().dedupKey()).isEqualTo(utf8("id1"));
            assertThat(msg.option().sizeHint()).isEqualTo(1);
            Whole fwd = (Whole) results.get(1);
            assertThat(fwd.events())
                    .containsExactly(
                            ev("in.j.fwd", 1_700_000_001L, 0, map("a", 1L)),
                            ev("in.j.fwd", NOW.getEpochSecond(), NOW.getNano(), map("now", true)));
            // a number is acked but never a dedup key
            assertThat(fwd.option().ackValue()).isEqualTo(utf8("7"));
            assertThat(fwd.option().dedupKey()).isNull();
        }
    }

    @Test
    void onlyANonEmptyStringChunkGivesADedupKey() {
        List<Result> results = decode(
                CONFIG,
                "[\"t\", 1, {}, {\"chunk\": \"\"}] [\"t\", 1, {}, {\"chunk\": null}] [\"t\", 1, {}, {\"chunk\": \"k\"}]"
                        + " [\"t\", 1, {}, {\"size\": 2}] [\"t\", 1, {}, \"not an option\"]");

        assertThat(results).hasSize(5);
        List<ForwardOption> options =
                results.stream().map(r -> ((Whole) r).option()).toList();
        assertThat(options.get(0).ackValue()).isEqualTo(utf8("\"\""));
        assertThat(options.get(0).dedupKey()).isNull();
        assertThat(options.get(1)).isSameAs(ForwardOption.NONE);
        assertThat(options.get(2).dedupKey()).isEqualTo(utf8("k"));
        assertThat(options.get(3).wantsAck()).isFalse();
        assertThat(options.get(3).sizeHint()).isEqualTo(2);
        assertThat(options.get(4)).isSameAs(ForwardOption.NONE);
    }

    @Test
    void invalidEventsAreSkippedAloneAndTheirCountStaysWithTheirRequest() {
        String json = "[\"t\", [[1, {\"ok\": 1}], [\"x\", {}], [2, [1]], [3], [4, {\"ok\": 2}]]]"
                + "[\"u\", [[5, {\"ok\": 3}]]]";

        List<Result> results = decode(CONFIG, json);

        Whole first = (Whole) results.get(0);
        assertThat(first.events()).containsExactly(ev("t", 1, 0, map("ok", 1L)), ev("t", 4, 0, map("ok", 2L)));
        assertThat(first.skipped()).isEqualTo(3);
        assertThat(first.skipReason()).isEqualTo("event 2: time: JSON string (expected: number)");
        Whole second = (Whole) results.get(1);
        assertThat(second.skipped()).isZero();
        assertThat(second.skipReason()).isNull();
    }

    @Test
    void withoutSkipInvalidEventTheRequestIsRefusedNamingTheEvent() {
        ForwardProtocolException e = failure(
                CONFIG.toBuilder().skipInvalidEvent(false).build(), "[\"t\", [[1, {\"ok\": 1}], [2, \"no record\"]]]");

        assertThat(e.reason()).isEqualTo(ErrorReason.INVALID_EVENT);
        assertThat(e).hasMessage("event 2: record: JSON string (expected: object)");
    }

    @Test
    void malformedRequestsCloseTheConnection() {
        assertThat(failure(CONFIG, "[\"t\"]"))
                .hasMessage(
                        "message: JSON array of 1 (expected: [tag, time, record, option?] or [tag, entries, option?])");
        assertThat(failure(CONFIG, "[1, 2, {}]")).hasMessage("tag: JSON number (expected: string)");
        assertThat(failure(CONFIG, "[\"t\", [], {}, {}]"))
                .hasMessage("message: JSON array of 4 with entries (expected: [tag, entries, option?])");
        assertThat(failure(CONFIG, "[\"t\", 1]"))
                .hasMessage("message: JSON array of 2 with number (expected: [tag, entries, option?] with entries"
                        + " an array)");
        assertThat(failure(CONFIG, "[\"" + "t".repeat(ForwardDecoderConfig.MAX_TAG_BYTES + 1) + "\", 1, {}]"))
                .hasMessage("tag: 65536 bytes (expected: <= 65535 bytes)");
        ForwardProtocolException truncated = failure(CONFIG, "[\"t\", 1, {}] [\"u\", 1, {\"k\":");
        assertThat(truncated.reason()).isEqualTo(ErrorReason.TRUNCATED);
        assertThat(truncated).hasMessageStartingWith("message: connection ended after ");
    }

    @Test
    void aJsonLookingFirstByteIsMsgpackWhenAHandshakeIsExpected() {
        List<Result> results = decode(CONFIG.toBuilder().expectHandshake(true).build(), "[");

        assertThat(results).hasSize(1);
        assertThat(((Ping) results.get(0)).ping().problem()).isEqualTo("invalid ping message");
    }
}
