package org.kinesisaggregator.server.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.kinesisaggregator.server.testing.Mp.concat;
import static org.kinesisaggregator.server.testing.Mp.entries;
import static org.kinesisaggregator.server.testing.Mp.map;
import static org.kinesisaggregator.server.testing.Mp.pack;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.kinesisaggregator.server.codec.DecoderHarness.Dropped;
import org.kinesisaggregator.server.codec.DecoderHarness.Result;
import org.kinesisaggregator.server.codec.DecoderHarness.Streamed;
import org.kinesisaggregator.server.codec.DecoderHarness.Whole;
import org.kinesisaggregator.server.testing.Event;
import org.kinesisaggregator.server.testing.LeakCheck;
import org.kinesisaggregator.server.testing.Mp;
import org.kinesisaggregator.server.testing.Mp.Time;

/** The decoder on an EmbeddedChannel: every mode, every split point, streaming, skipping. */
@ExtendWith(LeakCheck.class)
class MsgpackForwardDecoderTest {
    static final Instant NOW = Instant.parse("2026-01-02T03:04:05.123456789Z");
    static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
    static final ForwardDecoderConfig CONFIG = ForwardDecoderConfig.defaults(CLOCK);

    static Map<String, Object> rec(Object... kv) {
        return map(kv);
    }

    static Event ev(String tag, long s, int ns, Map<String, Object> record) {
        return Event.of(tag, s, ns, record);
    }

    static List<Result> decode(ForwardDecoderConfig config, byte[] bytes, int... cuts) {
        try (DecoderHarness h = new DecoderHarness(config)) {
            return h.feed(bytes, cuts).finish().results();
        }
    }

    @Test
    void messageModeWithEveryKindOfTime() {
        byte[] bytes = concat(
                Mp.message("a.int", 1_700_000_000L, rec("k", "v", "n", 1L), null),
                Mp.message("a.time", new Time(1_700_000_001L, 123_456_789), rec("k", "v2"), null),
                Mp.message("a.float", 1_700_000_002.25d, rec("f", 1.5d), null),
                Mp.message("a.nil", null, rec("x", true), null),
                Mp.message("a.zero", 0L, rec("y", List.of(1L, "two")), null),
                Mp.message("a.zerotime", new Time(0, 5), rec("z", map("nested", "yes")), null));

        List<Result> results = decode(CONFIG, bytes);

        assertThat(results)
                .hasSize(6)
                .allSatisfy(r -> assertThat(((Whole) r).mode()).isEqualTo(ForwardMode.MESSAGE));
        assertThat(results.stream().flatMap(r -> ((Whole) r).events().stream()).toList())
                .containsExactly(
                        ev("a.int", 1_700_000_000L, 0, rec("k", "v", "n", 1L)),
                        ev("a.time", 1_700_000_001L, 123_456_789, rec("k", "v2")),
                        ev("a.float", 1_700_000_002L, 250_000_000, rec("f", 1.5d)),
                        ev("a.nil", NOW.getEpochSecond(), NOW.getNano(), rec("x", true)),
                        ev("a.zero", NOW.getEpochSecond(), NOW.getNano(), rec("y", List.of(1L, "two"))),
                        ev("a.zerotime", NOW.getEpochSecond(), NOW.getNano(), rec("z", map("nested", "yes"))));
    }

    @Test
    void forwardModeKeepsEachEntryAsItCame() {
        List<Object> entries = List.of(
                Arrays.asList(1L, rec("a", 1L)),
                Arrays.asList(new Time(2, 3), rec("b", "x")),
                Arrays.asList(null, rec("c", null)));
        byte[] bytes = Mp.forward("fwd", entries, map("chunk", "abc=\n"));

        Whole whole = (Whole) decode(CONFIG, bytes).get(0);

        assertThat(whole.mode()).isEqualTo(ForwardMode.FORWARD);
        assertThat(whole.events())
                .containsExactly(
                        ev("fwd", 1, 0, rec("a", 1L)),
                        ev("fwd", 2, 3, rec("b", "x")),
                        ev("fwd", NOW.getEpochSecond(), NOW.getNano(), rec("c", null)));
        assertThat(whole.option().ackValue()).isEqualTo(pack("abc=\n"));
        assertThat(whole.option().dedupKey()).isEqualTo("abc=\n".getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void packedForwardEntriesAreStoredByteForByte() {
        byte[] entries = entries(new Time(10, 20), rec("m", "one"), 11L, rec("m", "two"), 12.5d, rec("m", "three"));
        for (byte[] bytes : List.of(
                Mp.packed("p", entries, map("size", 3L)),
                Mp.packedStr32("p", entries, map("size", 3L, "chunk", "Y2h1bmsK\n", "compressed", "text")))) {
            Whole whole = (Whole) decode(CONFIG, bytes).get(0);
            assertThat(whole.mode()).isEqualTo(ForwardMode.PACKED_FORWARD);
            assertThat(whole.entries()).isEqualTo(entries);
            assertThat(whole.events())
                    .containsExactly(
                            ev("p", 10, 20, rec("m", "one")),
                            ev("p", 11, 0, rec("m", "two")),
                            ev("p", 12, 500_000_000, rec("m", "three")));
            assertThat(whole.option().sizeHint()).isEqualTo(3);
        }
    }

    @Test
    void anEmptyOrNonStringChunkIdIsAckedButGivesNoDedupKey() {
        for (Object chunk : new Object[] {"", new byte[0], 7L}) {
            Whole whole = (Whole) decode(CONFIG, Mp.message("t", 1L, rec(), map("chunk", chunk)))
                    .get(0);
            assertThat(whole.option().ackValue()).as("chunk %s", chunk).isEqualTo(pack(chunk));
            assertThat(whole.option().dedupKey()).as("chunk %s", chunk).isNull();
        }
        byte[] nilChunk = concat(
                new byte[] {(byte) 0x94}, pack("t", 1L, rec()), new byte[] {(byte) 0x81}, pack("chunk"), new byte[] {
                    (byte) 0xc0
                });
        Whole nil = (Whole) decode(CONFIG, nilChunk).get(0);
        assertThat(nil.option().ackValue()).isEqualTo(new byte[] {(byte) 0xc0});
        assertThat(nil.option().dedupKey()).isNull();
    }

    @Test
    void chunkIdIsEchoedWithItsOwnMsgpackType() {
        byte[] binId = {1, 2, 3, (byte) 0xff};
        Whole bin = (Whole)
                decode(CONFIG, Mp.message("t", 1L, rec(), map("chunk", binId))).get(0);
        assertThat(bin.option().ackValue()).isEqualTo(pack((Object) binId));
        assertThat(bin.option().dedupKey()).isEqualTo(binId);

        // a str8 holding a short id is echoed as str8, not re-encoded as fixstr
        byte[] str8 = {(byte) 0xd9, 3, 'a', 'b', '\n'};
        byte[] message =
                concat(new byte[] {(byte) 0x94}, pack("t", 1L, rec()), new byte[] {(byte) 0x81}, pack("chunk"), str8);
        Whole whole = (Whole) decode(CONFIG, message).get(0);
        assertThat(whole.option().ackValue()).isEqualTo(str8);
        assertThat(whole.option().dedupKey()).isEqualTo(new byte[] {'a', 'b', '\n'});
    }

    @Test
    void compressedPackedForwardGzipWithSeveralMembersZstdAndText() {
        byte[] first = entries(1L, rec("i", 1L), 2L, rec("i", 2L));
        byte[] second = entries(new Time(3, 4), rec("i", 3L));
        List<Event> expected =
                List.of(ev("c", 1, 0, rec("i", 1L)), ev("c", 2, 0, rec("i", 2L)), ev("c", 3, 4, rec("i", 3L)));

        Whole gz = (Whole) decode(CONFIG, Mp.packed("c", Mp.gzip(first, second), map("compressed", "gzip", "size", 3L)))
                .get(0);
        assertThat(gz.mode()).isEqualTo(ForwardMode.COMPRESSED_PACKED_FORWARD);
        assertThat(gz.events()).isEqualTo(expected);

        Whole zs = (Whole) decode(CONFIG, Mp.packed("c", Mp.zstd(first, second), map("compressed", "zstd")))
                .get(0);
        assertThat(zs.mode()).isEqualTo(ForwardMode.COMPRESSED_PACKED_FORWARD);
        assertThat(zs.events()).isEqualTo(expected);

        Whole text = (Whole) decode(CONFIG, Mp.packed("c", concat(first, second), map("compressed", "text")))
                .get(0);
        assertThat(text.mode()).isEqualTo(ForwardMode.PACKED_FORWARD);
        assertThat(text.events()).isEqualTo(expected);
    }

    @Test
    void fluentBitMetadataEntriesAreRewrittenToTimeAndRecord() {
        byte[] entries = concat(
                pack(Arrays.asList(Arrays.asList(new Time(5, 6), map("otel", "x")), rec("log", "a"))),
                pack(Arrays.asList(Arrays.asList(7L, map()), rec("log", "b", "meta", "old"))));

        Whole dropped = (Whole) decode(CONFIG, Mp.packed("fb", entries, null)).get(0);
        assertThat(dropped.events())
                .containsExactly(ev("fb", 5, 6, rec("log", "a")), ev("fb", 7, 0, rec("log", "b", "meta", "old")));

        ForwardDecoderConfig keep =
                CONFIG.toBuilder().addTagPrefix(null).eventMetadataKey("meta").build();
        Whole kept = (Whole) decode(keep, Mp.packed("fb", entries, null)).get(0);
        assertThat(kept.events())
                .containsExactly(
                        ev("fb", 5, 6, rec("log", "a", "meta", map("otel", "x"))),
                        ev("fb", 7, 0, rec("log", "b", "meta", map())));
    }

    @Test
    void tagPrefixIsAdded() {
        ForwardDecoderConfig config =
                CONFIG.toBuilder().addTagPrefix("agg").eventMetadataKey(null).build();
        Whole whole =
                (Whole) decode(config, Mp.message("app.log", 1L, rec(), null)).get(0);
        assertThat(whole.tag()).isEqualTo("agg.app.log");
    }

    @Test
    void nilMessagesAreNoOps() {
        byte[] bytes = concat(pack((Object) null), Mp.message("t", 1L, rec("a", 1L), null), pack((Object) null));
        assertThat(decode(CONFIG, bytes)).hasSize(1);
    }

    @Test
    void jsonMessageAndForwardRequests() {
        String json = "[\"j.msg\", 1700000000, {\"k\": \"v\", \"n\": [1, 2.5, null, true]}, {\"chunk\": \"id1\"}]\n"
                + "[\"j.fwd\", [[1700000001, {\"a\": 1}], [1700000002.5, {\"b\": {\"c\": \"d\"}}]]]";
        List<Result> results = decode(CONFIG, json.getBytes(StandardCharsets.UTF_8));

        assertThat(results).hasSize(2);
        Whole msg = (Whole) results.get(0);
        assertThat(msg.mode()).isEqualTo(ForwardMode.JSON);
        assertThat(msg.events())
                .containsExactly(
                        ev("j.msg", 1_700_000_000L, 0, rec("k", "v", "n", Arrays.asList(1L, 2.5d, null, true))));
        assertThat(new String(msg.option().ackValue(), StandardCharsets.UTF_8)).isEqualTo("\"id1\"");
        assertThat(((Whole) results.get(1)).events())
                .containsExactly(
                        ev("j.fwd", 1_700_000_001L, 0, rec("a", 1L)),
                        ev("j.fwd", 1_700_000_002L, 500_000_000, rec("b", map("c", "d"))));
    }

    @Test
    void invalidEntriesAreSkippedWithTheirReason() {
        byte[] entries = concat(
                entries(1L, rec("ok", 1L)),
                pack(Arrays.asList("not a time", rec("bad", 1L))),
                pack(Arrays.asList(2L, "not a record")),
                pack(Arrays.asList(3L, rec("x", 1L), "extra")),
                pack(42L),
                pack(Arrays.asList(new Mp.Ext(5, new byte[] {1, 2}), rec())),
                entries(4L, rec("ok", 2L)));

        Whole whole = (Whole)
                decode(CONFIG, Mp.packed("s", entries, map("chunk", "c"))).get(0);

        assertThat(whole.events()).containsExactly(ev("s", 1, 0, rec("ok", 1L)), ev("s", 4, 0, rec("ok", 2L)));
        assertThat(whole.skipped()).isEqualTo(5);
        assertThat(whole.skipReason()).isEqualTo("event 2: time: str (expected: integer, float or EventTime)");
        assertThat(whole.option().wantsAck()).isTrue();
    }

    @Test
    void everySplitPointGivesTheSameEvents() {
        byte[] bytes = streamOfEveryMode();
        List<Event> expected;
        try (DecoderHarness h = new DecoderHarness(CONFIG)) {
            expected = h.feed(bytes).finish().events();
        }
        assertThat(expected).hasSize(11);
        for (int cut = 1; cut < bytes.length; cut++) {
            try (DecoderHarness h = new DecoderHarness(CONFIG)) {
                assertThat(h.feed(bytes, cut).finish().events())
                        .as("cut at %d", cut)
                        .isEqualTo(expected);
            }
        }
    }

    @Test
    void randomSplitsAndByteByByteGiveTheSameEvents() {
        long seed = System.nanoTime();
        System.out.println("randomSplitsAndByteByByteGiveTheSameEvents seed " + seed);
        Random random = new Random(seed);
        byte[] bytes = streamOfEveryMode();
        List<Event> expected;
        try (DecoderHarness h = new DecoderHarness(CONFIG)) {
            expected = h.feed(bytes).finish().events();
        }
        for (int round = 0; round < 50; round++) {
            int[] cuts = random.ints(random.nextInt(20) + 1, 1, bytes.length)
                    .sorted()
                    .distinct()
                    .toArray();
            try (DecoderHarness h = new DecoderHarness(CONFIG)) {
                assertThat(h.feed(bytes, cuts).finish().events())
                        .as("seed %d cuts %s", seed, Arrays.toString(cuts))
                        .isEqualTo(expected);
            }
        }
        int[] everyByte = new int[bytes.length - 1];
        for (int i = 0; i < everyByte.length; i++) {
            everyByte[i] = i + 1;
        }
        try (DecoderHarness h = new DecoderHarness(CONFIG)) {
            assertThat(h.feed(bytes, everyByte).finish().events()).isEqualTo(expected);
        }
    }

    static byte[] streamOfEveryMode() {
        byte[] plainEntries = entries(100L, rec("p", 1L), new Time(101, 7), rec("p", 2L));
        return concat(
                Mp.message("m", new Time(1, 2), rec("m", "x"), map("chunk", "c1")),
                pack((Object) null),
                Mp.forward("f", List.of(Arrays.asList(3L, rec("f", 1L)), Arrays.asList(null, rec("f", 2L))), null),
                Mp.packed("p", plainEntries, map("chunk", "c2", "size", 2L)),
                Mp.packedStr32("p", plainEntries, map("compressed", "text")),
                Mp.packed(
                        "g",
                        Mp.gzip(entries(200L, rec("g", 1L)), entries(201L, rec("g", 2L))),
                        map("compressed", "gzip")),
                Mp.packed("z", Mp.zstd(entries(300L, rec("z", 1L))), map("compressed", "zstd")),
                Mp.packed("fb", pack(Arrays.asList(Arrays.asList(400L, map("m", 1L)), rec("fb", 1L))), null));
    }

    @Test
    void bigEntriesAreStreamedInPiecesOfWholeEvents() {
        ForwardDecoderConfig config = CONFIG.toBuilder().streaming(4096, 1024).build();
        List<Object> values = new ArrayList<>();
        List<Event> expected = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            Map<String, Object> record = rec("seq", (long) i, "pad", "x".repeat(i % 37));
            values.add(Arrays.asList(new Time(1000 + i, i), record));
            expected.add(ev("big", 1000 + i, i, record));
        }
        byte[] entries = pack(values.toArray());
        for (byte[] bytes : List.of(
                Mp.packed("big", entries, map("chunk", "k")),
                Mp.forward("big", values, map("chunk", "k")),
                Mp.packed("big", Mp.gzip(entries), map("chunk", "k", "compressed", "gzip")),
                Mp.packed("big", Mp.zstd(entries), map("chunk", "k", "compressed", "zstd")))) {
            for (int[] cuts : List.of(new int[0], new int[] {7, 3000, 9000}, new int[] {bytes.length / 2})) {
                List<Result> results = decode(config, bytes, cuts);
                assertThat(results).hasSize(1);
                Streamed streamed = (Streamed) results.get(0);
                assertThat(streamed.events()).isEqualTo(expected);
                assertThat(streamed.pieces()).isGreaterThan(5);
                // a piece is about pieceBytes, never more than the threshold plus one event
                assertThat(streamed.pieceBytes()).allSatisfy(b -> assertThat(b).isLessThan(4096 + 128));
                assertThat(streamed.end().option().dedupKey()).isEqualTo("k".getBytes(StandardCharsets.UTF_8));
            }
        }
    }

    @Test
    void chunkSizeLimitDropsTheWholeMessageAndKeepsDecoding() {
        ForwardDecoderConfig config = CONFIG.toBuilder()
                .limits(200, 1 << 20, 1 << 20)
                .streaming(64, 64)
                .build();
        List<Object> many = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            many.add(Arrays.asList((long) i, rec("pad", "0123456789")));
        }
        byte[] bytes = concat(
                Mp.packed("big.packed", pack(many.toArray()), map("chunk", "a")),
                Mp.forward("big.forward", many, map("chunk", "b")),
                Mp.message("big.message", 1L, rec("pad", "x".repeat(300)), map("chunk", "c")),
                Mp.message("small", 1L, rec("ok", true), null));

        List<Result> results = decode(config, bytes);

        assertThat(results).hasSize(4);
        assertThat(results.subList(0, 3)).allSatisfy(r -> {
            Dropped d = (Dropped) r;
            assertThat(d.dropped().wireBytes()).isGreaterThan(200);
            assertThat(d.dropped().limitBytes()).isEqualTo(200);
        });
        assertThat(((Dropped) results.get(1)).dropped().tag()).isEqualTo("big.forward");
        assertThat(((Whole) results.get(3)).events()).containsExactly(ev("small", 1, 0, rec("ok", true)));
    }

    @Test
    void sizeHintThatDisagreesIsOnlyAHint() {
        byte[] entries = entries(1L, rec("a", 1L), 2L, rec("b", 2L));
        Whole whole = (Whole) decode(CONFIG, Mp.packed("t", entries, map("size", 99L, "chunk", "x")))
                .get(0);
        assertThat(whole.events()).hasSize(2);
        assertThat(whole.option().sizeHint()).isEqualTo(99);
    }

    @Test
    void handshakePingIsDecodedFirst() {
        ForwardDecoderConfig config = CONFIG.toBuilder().expectHandshake(true).build();
        byte[] bytes = concat(
                pack(Arrays.asList("PING", "client", new byte[] {1, 2}, "digest", "", "")),
                Mp.message("t", 1L, rec(), null));
        List<Result> results = decode(config, bytes);
        assertThat(results).hasSize(2);
        PingRequest ping = ((DecoderHarness.Ping) results.get(0)).ping();
        assertThat(ping.isWellFormed()).isTrue();
        assertThat(DecoderHarness.utf8(ping.hostname())).isEqualTo("client");
        assertThat(ping.sharedKeySalt()).containsExactly(1, 2);

        List<Result> notPing = decode(config, Mp.message("t", 1L, rec(), null));
        assertThat(((DecoderHarness.Ping) notPing.get(0)).ping().problem()).isEqualTo("invalid ping message");
    }
}
