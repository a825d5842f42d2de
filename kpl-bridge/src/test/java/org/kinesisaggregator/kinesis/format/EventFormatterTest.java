package org.kinesisaggregator.kinesis.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import java.util.zip.InflaterInputStream;
import org.junit.jupiter.api.Test;
import org.kinesisaggregator.kinesis.FormatSettings;
import org.kinesisaggregator.kinesis.FormatSettings.Compression;
import org.kinesisaggregator.kinesis.FormatSettings.Format;
import org.kinesisaggregator.kinesis.FormatSettings.TimeType;
import org.kinesisaggregator.kinesis.OutputType;
import org.msgpack.core.MessageBufferPacker;
import org.msgpack.core.MessagePack;
import org.msgpack.core.MessageUnpacker;
import org.msgpack.value.Value;

class EventFormatterTest {
    private static final long SECOND = 1_468_715_646L; // 2016-07-17T00:34:06Z
    private static final int NANOS = 123_456_789;

    private static final FormatSettings JSON_PLAIN = FormatSettings.defaults(OutputType.KINESIS_PRODUCER).toBuilder()
            .time(TimeType.STRING, null, ZoneOffset.UTC)
            .build();

    /** Writes msgpack records by hand, so every format (str vs bin, float32, ext) is exactly what we say. */
    private interface Body {
        void write(MessageBufferPacker p) throws IOException;
    }

    private static byte[] map(int entries, Body body) throws IOException {
        MessageBufferPacker p = MessagePack.newDefaultBufferPacker();
        p.packMapHeader(entries);
        body.write(p);
        return p.toByteArray();
    }

    private static String json(FormatSettings settings, byte[] record) throws EventFormatException {
        return new String(formatBytes(settings, record), StandardCharsets.UTF_8);
    }

    private static byte[] formatBytes(FormatSettings settings, byte[] record) throws EventFormatException {
        EventFormatter.Workspace w = new EventFormatter(settings).newWorkspace();
        w.load(record, 0, record.length);
        w.format("app.access", SECOND, NANOS);
        return w.toByteArray();
    }

    @Test
    void transcodesEveryMsgpackTypeToJson() throws Exception {
        byte[] record = map(14, p -> {
            p.packString("nil").packNil();
            p.packString("bool").packBoolean(true);
            p.packString("int").packLong(-42);
            p.packString("u64").packBigInteger(new BigInteger("18446744073709551615"));
            p.packString("f32").packFloat(1.1f);
            p.packString("f64").packDouble(2.5e-7);
            p.packString("nan").packDouble(Double.NaN);
            p.packString("inf").packFloat(Float.NEGATIVE_INFINITY);
            p.packString("arr").packArrayHeader(3).packLong(1).packString("two").packArrayHeader(0);
            p.packString("map")
                    .packMapHeader(2)
                    .packString("k")
                    .packString("v")
                    .packLong(7)
                    .packBoolean(false);
            p.packString("time").packExtensionTypeHeader((byte) 0, 8);
            p.writePayload(new byte[] {0x57, (byte) 0x8a, (byte) 0xd2, 0x7e, 0, 0, 0, 1});
            p.packString("ext").packExtensionTypeHeader((byte) 5, 3);
            p.writePayload(new byte[] {1, 2, 3});
            p.packLong(99).packString("int key");
            p.packNil().packString("nil key");
        });

        assertThat(json(JSON_PLAIN, record))
                .isEqualTo("{\"nil\":null,\"bool\":true,\"int\":-42,"
                        + "\"u64\":18446744073709551615,\"f32\":1.1,\"f64\":2.5E-7,\"nan\":null,\"inf\":null,"
                        + "\"arr\":[1,\"two\",[]],\"map\":{\"k\":\"v\",\"7\":false},\"time\":1468715646,\"ext\":\"AQID\","
                        + "\"99\":\"int key\",\"\":\"nil key\"}");
    }

    @Test
    void escapesStringsAsJsonRequires() throws Exception {
        String nasty =
                "quote\" backslash\\ slash/ nl\n cr\r tab\t nul\u0000 bell\u0007 del\u007f é 日本 \uD83D\uDE00 \u2028";
        byte[] record = map(2, p -> {
            p.packString("s").packString(nasty);
            p.packString("ké\"y").packString("v");
        });

        String out = json(JSON_PLAIN, record);

        assertThat(out)
                .isEqualTo(
                        "{\"s\":\"quote\\\" backslash\\\\ slash/ nl\\n cr\\r tab\\t nul\\u0000 bell\\u0007 del\u007f é 日本 \uD83D\uDE00 \u2028\","
                                + "\"ké\\\"y\":\"v\"}");
        assertThat(parseStringField(out, "s")).isEqualTo(nasty);
    }

    @Test
    void binaryIsTextWhenValidUtf8AndBase64Otherwise() throws Exception {
        byte[] notUtf8 = {(byte) 0xff, (byte) 0xfe, 0x00, 0x41};
        byte[] record = map(3, p -> {
            p.packString("text_as_bin").packBinaryHeader(6).writePayload("日本".getBytes(StandardCharsets.UTF_8));
            p.packString("raw").packBinaryHeader(4).writePayload(notUtf8);
            p.packBinaryHeader(2)
                    .writePayload(new byte[] {(byte) 0xc3, (byte) 0x28})
                    .packString("bad bin key");
        });

        assertThat(json(JSON_PLAIN, record))
                .isEqualTo("{\"text_as_bin\":\"日本\",\"raw\":\"//4AQQ==\",\"wyg=\":\"bad bin key\"}");
    }

    @Test
    void invalidUtf8InStrBecomesReplacementCharacters() throws Exception {
        byte[] bad = {'a', (byte) 0xc3, (byte) 0x28, 'b', (byte) 0xed, (byte) 0xa0, (byte) 0x80, 'c'};
        byte[] record =
                map(1, p -> p.packString("s").packRawStringHeader(bad.length).writePayload(bad));

        String out = json(JSON_PLAIN, record);

        assertThat(parseStringField(out, "s"))
                .isEqualTo(new String(bad, StandardCharsets.UTF_8))
                .startsWith("a\uFFFD(b");
    }

    @Test
    void injectsTagAndTimeAtTheEndOrInPlace() throws Exception {
        FormatSettings settings = JSON_PLAIN.withTagKey("tag").withTimeKey("time");
        byte[] record = map(2, p -> {
            p.packString("a").packLong(1);
            p.packString("tag").packString("overwritten");
        });

        assertThat(json(settings, record))
                .isEqualTo("{\"a\":1,\"tag\":\"app.access\",\"time\":\"2016-07-17T00:34:06Z\"}");
        FormatSettings withHost =
                settings.toBuilder().hostname("host", "node-1").build();
        assertThat(json(withHost, map(0, p -> {})))
                .isEqualTo("{\"host\":\"node-1\",\"tag\":\"app.access\",\"time\":\"2016-07-17T00:34:06Z\"}");
    }

    @Test
    void formatsTimesLikeFluentd() throws Exception {
        byte[] record = map(0, p -> {});
        FormatSettings base = JSON_PLAIN.withTimeKey("t");
        ZoneId tokyo = ZoneId.of("Asia/Tokyo");

        assertThat(json(base.toBuilder().time(TimeType.STRING, null, tokyo).build(), record))
                .isEqualTo("{\"t\":\"2016-07-17T09:34:06+09:00\"}");
        assertThat(json(
                        base.toBuilder()
                                .time(TimeType.STRING, "%Y-%m-%dT%H:%M:%S.%N%z", ZoneOffset.UTC)
                                .build(),
                        record))
                .isEqualTo("{\"t\":\"2016-07-17T00:34:06.123456789+0000\"}");
        assertThat(json(
                        base.toBuilder()
                                .time(TimeType.STRING, "%Y%m%d %H:%M:%S.%3N %:z", tokyo)
                                .build(),
                        record))
                .isEqualTo("{\"t\":\"20160717 09:34:06.123 +09:00\"}");
        assertThat(json(
                        base.toBuilder()
                                .time(TimeType.STRING, "%d/%b/%Y:%H:%M:%S %z|%L|%6N|%s|%j|%a|%-m|%e|%I%p|%%", tokyo)
                                .build(),
                        record))
                .isEqualTo("{\"t\":\"17/Jul/2016:09:34:06 +0900|123|123456|1468715646|199|Sun|7|17|09AM|%\"}");
        assertThat(json(
                        base.toBuilder()
                                .time(TimeType.STRING, "%F %T %Z", tokyo)
                                .build(),
                        record))
                .isEqualTo("{\"t\":\"2016-07-17 09:34:06 JST\"}");
        assertThat(json(
                        base.toBuilder()
                                .time(TimeType.UNIXTIME, null, ZoneOffset.UTC)
                                .build(),
                        record))
                .isEqualTo("{\"t\":1468715646}");
        assertThat(json(
                        base.toBuilder()
                                .time(TimeType.FLOAT, null, ZoneOffset.UTC)
                                .build(),
                        record))
                .isEqualTo("{\"t\":1.468715646123456E9}");
        assertThatThrownBy(() -> base.toBuilder()
                        .time(TimeType.STRING, "%Y-%Q-%K", ZoneOffset.UTC)
                        .build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(
                        "time_format: %Y-%Q-%K has unknown directive %K at position 6 (expected: a Ruby strftime directive)");
    }

    @Test
    void newlineFollowsThePluginType() throws Exception {
        byte[] record = map(1, p -> p.packString("a").packString("b"));
        assertThat(json(FormatSettings.defaults(OutputType.KINESIS_PRODUCER), record))
                .isEqualTo("{\"a\":\"b\"}");
        assertThat(json(FormatSettings.defaults(OutputType.KINESIS_STREAMS_AGGREGATED), record))
                .isEqualTo("{\"a\":\"b\"}\n");
        assertThat(json(FormatSettings.defaults(OutputType.KINESIS_STREAMS), record))
                .isEqualTo("{\"a\":\"b\"}\n");
    }

    @Test
    void singleValueSendsTheMessageFieldAsIs() throws Exception {
        FormatSettings singleValue =
                FormatSettings.defaults(OutputType.KINESIS_STREAMS).withFormat(Format.SINGLE_VALUE, true);
        byte[] raw = {'G', 'E', 'T', ' ', (byte) 0xff};
        assertThat(formatBytes(singleValue, map(2, p -> {
                    p.packString("message").packBinaryHeader(raw.length).writePayload(raw);
                    p.packString("other").packLong(1);
                })))
                .isEqualTo(new byte[] {'G', 'E', 'T', ' ', (byte) 0xff, '\n'});
        assertThat(json(
                        singleValue.toBuilder().messageKey("n").build(),
                        map(1, p -> p.packString("n").packLong(12))))
                .isEqualTo("12\n");
        assertThat(json(singleValue, map(1, p -> p.packString("x").packLong(1))))
                .isEqualTo("\n");
        assertThat(json(
                        singleValue.withFormat(Format.SINGLE_VALUE, false),
                        map(1, p -> p.packString("message").packString("m"))))
                .isEqualTo("m");
    }

    @Test
    void dataKeySendsOneFieldAndRejectsRecordsWithoutIt() throws Exception {
        FormatSettings dataKey =
                FormatSettings.defaults(OutputType.KINESIS_STREAMS).withDataKey("payload");
        assertThat(json(dataKey, map(2, p -> {
                    p.packString("payload").packString("{\"already\":\"json\"}");
                    p.packString("other").packLong(1);
                })))
                .isEqualTo("{\"already\":\"json\"}");
        assertThat(json(
                        dataKey,
                        map(
                                1,
                                p -> p.packString("payload")
                                        .packMapHeader(1)
                                        .packString("k")
                                        .packLong(1))))
                .isEqualTo("{\"k\":1}");
        assertThatThrownBy(() -> json(dataKey, map(1, p -> p.packString("x").packLong(1))))
                .isInstanceOf(EventFormatException.class)
                .hasMessage("data_key payload: missing in the record (expected: a field to send)");
    }

    @Test
    void msgpackKeepsTheRecordOrRebuildsItToInject() throws Exception {
        FormatSettings msgpack = JSON_PLAIN.withFormat(Format.MSGPACK, true);
        byte[] record = map(2, p -> {
            p.packString("a").packLong(1);
            p.packString("tag").packString("old");
        });

        assertThat(formatBytes(msgpack, record)).isEqualTo(record);

        byte[] injected = formatBytes(
                msgpack.toBuilder()
                        .tagKey("tag")
                        .timeKey("time")
                        .time(TimeType.UNIXTIME, null, ZoneOffset.UTC)
                        .build(),
                record);
        Map<String, Value> decoded = new LinkedHashMap<>();
        try (MessageUnpacker u = MessagePack.newDefaultUnpacker(injected)) {
            u.unpackValue()
                    .asMapValue()
                    .entrySet()
                    .forEach(e -> decoded.put(e.getKey().toString(), e.getValue()));
            assertThat(u.hasNext()).isFalse();
        }
        assertThat(decoded.keySet()).containsExactly("a", "tag", "time");
        assertThat(decoded.get("tag").toString()).isEqualTo("app.access");
        assertThat(decoded.get("time").asIntegerValue().toLong()).isEqualTo(SECOND);
    }

    @Test
    void compressesEachRecord() throws Exception {
        byte[] record = map(1, p -> p.packString("message").packString("x".repeat(1000)));
        String expected = "{\"message\":\"" + "x".repeat(1000) + "\"}\n";
        FormatSettings streams = FormatSettings.defaults(OutputType.KINESIS_STREAMS);

        byte[] gzip = formatBytes(streams.withCompression(Compression.GZIP), record);
        byte[] zlib = formatBytes(streams.withCompression(Compression.ZLIB), record);

        assertThat(readAll(new GZIPInputStream(new ByteArrayInputStream(gzip)))).isEqualTo(expected);
        assertThat(readAll(new InflaterInputStream(new ByteArrayInputStream(zlib))))
                .isEqualTo(expected);
        assertThat(gzip.length).isLessThan(100);
    }

    @Test
    void readsFieldsAsText() throws Exception {
        EventFormatter.Workspace w = new EventFormatter(JSON_PLAIN).newWorkspace();
        byte[] record = map(5, p -> {
            p.packString("user").packString("ユーザー42");
            p.packString("id").packLong(42);
            p.packString("nil").packNil();
            p.packString("bin").packBinaryHeader(3).writePayload("abc".getBytes(StandardCharsets.UTF_8));
            p.packString("obj").packMapHeader(1).packString("k").packBoolean(true);
        });
        w.load(record, 0, record.length);

        assertThat(w.field(utf8("user"))).isEqualTo("ユーザー42");
        assertThat(w.field(utf8("id"))).isEqualTo("42");
        assertThat(w.field(utf8("nil"))).isNull();
        assertThat(w.field(utf8("bin"))).isEqualTo("abc");
        assertThat(w.field(utf8("obj"))).isEqualTo("{\"k\":true}");
        assertThat(w.field(utf8("absent"))).isNull();
    }

    @Test
    void rejectsBadRecordsAndStaysUsable() throws Exception {
        EventFormatter.Workspace w = new EventFormatter(JSON_PLAIN).newWorkspace();
        MessageBufferPacker deep = MessagePack.newDefaultBufferPacker();
        deep.packMapHeader(1).packString("d");
        for (int i = 0; i < EventFormatter.MAX_DEPTH + 5; i++) {
            deep.packArrayHeader(1);
        }
        deep.packLong(1);
        byte[] tooDeep = deep.toByteArray();
        w.load(tooDeep, 0, tooDeep.length);
        assertThatThrownBy(() -> w.format("t", SECOND, 0))
                .isInstanceOf(EventFormatException.class)
                .hasMessageContaining("nesting deeper than 256");

        byte[] truncated = map(2, p -> p.packString("a").packString("bc"));
        w.load(truncated, 0, truncated.length);
        assertThatThrownBy(() -> w.format("t", SECOND, 0))
                .isInstanceOf(EventFormatException.class)
                .hasMessageStartingWith("record: unreadable msgpack");

        MessageBufferPacker stringPacker = MessagePack.newDefaultBufferPacker();
        stringPacker.packString("x");
        byte[] notAMap = stringPacker.toByteArray();
        w.load(notAMap, 0, notAMap.length);
        assertThatThrownBy(() -> w.format("t", SECOND, 0))
                .isInstanceOf(EventFormatException.class)
                .hasMessage("record: FIXSTR (expected: a msgpack map)");

        byte[] good = map(1, p -> p.packString("ok").packBoolean(true));
        w.load(good, 0, good.length);
        w.format("t", SECOND, 0);
        assertThat(new String(w.toByteArray(), StandardCharsets.UTF_8)).isEqualTo("{\"ok\":true}");
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String readAll(InputStream in) throws IOException {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** Parses with Jackson's parser: an independent check that what we wrote is valid JSON. */
    private static String parseStringField(String json, String field) throws IOException {
        try (JsonParser parser = new JsonFactory().createParser(json)) {
            assertThat(parser.nextToken()).isEqualTo(JsonToken.START_OBJECT);
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String name = parser.currentName();
                parser.nextToken();
                if (name.equals(field)) {
                    return parser.getText();
                }
                parser.skipChildren();
            }
            return null;
        }
    }
}
