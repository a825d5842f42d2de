package org.kinesisaggregator.server.app;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.kinesisaggregator.buffer.Chunk;
import org.kinesisaggregator.buffer.EventCursor;
import org.kinesisaggregator.buffer.InMemoryChunk;
import org.kinesisaggregator.buffer.Output;
import org.kinesisaggregator.buffer.WriteResult;
import org.kinesisaggregator.conf.ConfElement;
import org.kinesisaggregator.kinesis.OutputType;
import org.kinesisaggregator.kinesis.format.EventFormatter;
import org.msgpack.core.MessageBufferPacker;
import org.msgpack.core.MessagePack;

/**
 * The one event format: the same record with the same {@code <format>} / {@code <inject>} gives the
 * same bytes in a file output, a stdout output and a Kinesis output (formatted as KinesisOutput
 * formats, no emulator). The record holds every kind of msgpack value the mapping names.
 */
class OneEventFormatTest {
    /** Every strftime directive and flag the formatter knows. */
    static final String EVERY_DIRECTIVE = "%Y %C %y %m %d %e %j %H %k %I %l %M %S %L %N %3N %6N %9N %12N %z %:z %::z"
            + " %Z %A %a %B %b %h %p %P %u %w %G %g %V %U %W %s %Q %% %c %D %x %F %T %X %R %r %+ %-d %_m %05Y %^a %#p"
            + " %^B %-H %_H %t|%n|";

    private static final long SECOND = 1_795_578_245L; // 2026-11-25T03:44:05Z, a Wednesday
    private static final int NANOS = 123_456_789;

    @TempDir
    Path dir;

    static List<String> formats() {
        return List.of(
                "<format>\n @type json\n</format>\n",
                "<format>\n @type json\n add_newline false\n</format>\n",
                "<format>\n @type json\n</format>\n<inject>\n time_key time\n time_format " + EVERY_DIRECTIVE
                        + "\n timezone +09:00\n tag_key tag\n hostname_key host\n hostname web-1\n</inject>\n",
                "<format>\n @type json\n</format>\n<inject>\n time_key time\n time_format %FT%T.%N%z\n"
                        + " timezone Asia/Tokyo\n</inject>\n",
                "<format>\n @type json\n</format>\n<inject>\n time_key s\n time_format %FT%T%:z\n utc true\n</inject>\n",
                "<format>\n @type json\n</format>\n<inject>\n time_key t\n time_type unixtime\n</inject>\n",
                "<format>\n @type json\n</format>\n<inject>\n time_key t\n time_type float\n localtime false\n"
                        + "</inject>\n",
                "<format>\n @type ltsv\n</format>\n<inject>\n tag_key tag\n</inject>\n",
                "<format>\n @type ltsv\n delimiter |\n label_delimiter =\n</format>\n",
                "<format>\n @type single_value\n</format>\n",
                "<format>\n @type single_value\n message_key s\n add_newline false\n</format>\n",
                "<format>\n @type msgpack\n</format>\n",
                "<format>\n @type msgpack\n</format>\n<inject>\n tag_key tag\n time_key message\n"
                        + " time_type unixtime\n</inject>\n",
                "<format>\n @type hash\n</format>\n<inject>\n time_key time\n time_format %s.%3N\n</inject>\n",
                "<format>\n @type out_file\n</format>\n",
                "<format>\n @type out_file\n delimiter COMMA\n time_format " + EVERY_DIRECTIVE
                        + "\n timezone Asia/Tokyo\n</format>\n",
                "<format>\n @type out_file\n output_tag false\n localtime false\n</format>\n"
                        + "<inject>\n hostname_key h\n hostname web-1\n</inject>\n",
                "<format>\n @type stdout\n</format>\n",
                "<format>\n @type stdout\n output_type hash\n utc true\n</format>\n",
                "<format>\n @type stdout\n output_type ltsv\n time_format %I:%M %p %k %C %u %V %Q\n</format>\n"
                        + "<inject>\n tag_key tag\n</inject>\n",
                "<format>\n @type stdout\n output_type single_value\n</format>\n");
    }

    @ParameterizedTest
    @MethodSource("formats")
    void fileStdoutAndKinesisWriteTheSameBytes(String sections) throws Exception {
        Chunk chunk = chunk();

        TestOutputContext fileContext = new TestOutputContext("o", dir, null);
        ConfElement file = match("@type file\npath " + dir.resolve("out") + "\nappend true\nadd_path_suffix false\n"
                + "<buffer>\n</buffer>\n" + sections);
        BuiltinOutputs.factories().get("file").create(file, fileContext);
        byte[] fileBytes = write(fileContext.output, chunk) ? Files.readAllBytes(dir.resolve("out")) : null;

        TestOutputContext stdoutContext = new TestOutputContext("o", dir, null);
        BuiltinOutputs.factories().get("stdout").create(match("@type stdout\n" + sections), stdoutContext);
        write(stdoutContext.output, chunk);
        byte[] stdoutBytes = stdoutContext.printed.toByteArray();

        ConfElement kinesis = match("@type kinesis_streams\nstream_name s\nregion us-east-1\n" + sections);
        EventFormatter formatter = new EventFormatter(KinesisOutputFactory.settings(
                        kinesis, OutputType.KINESIS_STREAMS, new TestOutputContext("o", dir, null))
                .format());
        EventFormatter.Workspace workspace = formatter.newWorkspace();
        ByteArrayOutputStream kinesisBytes = new ByteArrayOutputStream();
        try (EventCursor c = chunk.events()) {
            while (c.next()) {
                workspace.load(c.record());
                workspace.format(c.tag(), c.epochSecond(), c.nanos());
                kinesisBytes.write(workspace.array(), 0, workspace.length());
            }
        }

        assertThat(fileBytes).isNotEmpty();
        assertThat(stdoutBytes).as("stdout vs file").isEqualTo(fileBytes);
        assertThat(kinesisBytes.toByteArray()).as("kinesis vs file").isEqualTo(fileBytes);
    }

    @ParameterizedTest
    @MethodSource("expected")
    void theMappingIsTheDocumentedOne(String sections, String expected) throws Exception {
        TestOutputContext stdoutContext = new TestOutputContext("o", dir, null);
        BuiltinOutputs.factories().get("stdout").create(match("@type stdout\n" + sections), stdoutContext);
        write(stdoutContext.output, chunk());
        assertThat(stdoutContext.printed.toString(StandardCharsets.UTF_8)).isEqualTo(expected);
    }

    static List<Object[]> expected() {
        String json = "{\"s\":\"h\u00e9llo\",\"bad\":\"a\ufffdb\",\"bin\":\"text\",\"binraw\":\"AP8Q\","
                + "\"ext\":\"AQID\",\"et\":1795578245,\"big\":18446744073709551615,\"neg\":-5,\"f\":1.5,"
                + "\"f32\":0.1,\"nan\":null,\"inf\":null,\"nil\":null,\"t\":true,\"arr\":[1,\"x\",null],"
                + "\"map\":{\"k\":{\"z\":[1.25]}},\"7\":\"int key\",\"message\":\"the message\"}";
        return List.of(
                new Object[] {"<format>\n @type json\n</format>\n", json + "\n"},
                new Object[] {
                    "<format>\n @type hash\n</format>\n",
                    "{\"s\"=>\"h\u00e9llo\", \"bad\"=>\"a\ufffdb\", \"bin\"=>\"text\", \"binraw\"=>\"AP8Q\","
                            + " \"ext\"=>\"AQID\", \"et\"=>1795578245, \"big\"=>18446744073709551615,"
                            + " \"neg\"=>-5, \"f\"=>1.5, \"f32\"=>0.1, \"nan\"=>nil, \"inf\"=>nil, \"nil\"=>nil,"
                            + " \"t\"=>true, \"arr\"=>[1, \"x\", nil], \"map\"=>{\"k\"=>{\"z\"=>[1.25]}},"
                            + " 7=>\"int key\", \"message\"=>\"the message\"}\n"
                },
                new Object[] {
                    "<format>\n @type stdout\n utc true\n</format>\n<inject>\n time_key tm\n time_type float\n</inject>\n",
                    "2026-11-25 03:44:05.123456789 +0000 app.web: " + json.substring(0, json.length() - 1)
                            + ",\"tm\":1.795578245123456E9}\n"
                },
                new Object[] {
                    "<format>\n @type ltsv\n</format>\n",
                    "s:h\u00e9llo\tbad:a\ufffdb\tbin:text\tbinraw:\u0000\ufffd\u0010\text:AQID\tet:1795578245"
                            + "\tbig:18446744073709551615\tneg:-5\tf:1.5\tf32:0.1\tnan:NaN\tinf:Infinity\tnil:"
                            + "\tt:true\tarr:[1,\"x\",null]\tmap:{\"k\":{\"z\":[1.25]}}\t7:int key\tmessage:the message\n"
                });
    }

    /** One event with every kind of value; the invalid UTF-8 str is written as its bytes for ltsv. */
    private static Chunk chunk() throws Exception {
        try (MessageBufferPacker p = MessagePack.newDefaultBufferPacker()) {
            p.packArrayHeader(2);
            p.packExtensionTypeHeader((byte) 0, 8);
            p.writePayload(
                    ByteBuffer.allocate(8).putInt((int) SECOND).putInt(NANOS).array());
            p.packMapHeader(18);
            p.packString("s").packString("h\u00e9llo");
            p.packString("bad").packRawStringHeader(3);
            p.writePayload(new byte[] {'a', (byte) 0xff, 'b'});
            p.packString("bin").packBinaryHeader(4);
            p.writePayload("text".getBytes(StandardCharsets.UTF_8));
            p.packString("binraw").packBinaryHeader(3);
            p.writePayload(new byte[] {0, (byte) 0xff, 0x10});
            p.packString("ext").packExtensionTypeHeader((byte) 5, 3);
            p.writePayload(new byte[] {1, 2, 3});
            p.packString("et").packExtensionTypeHeader((byte) 0, 8);
            p.writePayload(ByteBuffer.allocate(8).putInt((int) SECOND).putInt(0).array());
            p.packString("big").packBigInteger(new BigInteger("18446744073709551615"));
            p.packString("neg").packInt(-5);
            p.packString("f").packDouble(1.5);
            p.packString("f32").packFloat(0.1f);
            p.packString("nan").packDouble(Double.NaN);
            p.packString("inf").packDouble(Double.POSITIVE_INFINITY);
            p.packString("nil").packNil();
            p.packString("t").packBoolean(true);
            p.packString("arr").packArrayHeader(3).packInt(1).packString("x").packNil();
            p.packString("map")
                    .packMapHeader(1)
                    .packString("k")
                    .packMapHeader(1)
                    .packString("z");
            p.packArrayHeader(1).packDouble(1.25);
            p.packInt(7).packString("int key");
            p.packString("message").packString("the message");
            return InMemoryChunk.of("c1", "app.web", ByteBuffer.wrap(p.toByteArray()), 1, Instant.EPOCH);
        }
    }

    private static boolean write(Output output, Chunk chunk) throws Exception {
        output.start();
        try {
            WriteResult r = output.write(chunk).get(10, SECONDS);
            assertThat(r.rejected()).isEmpty();
            return true;
        } finally {
            output.close();
        }
    }

    private ConfElement match(String body) throws Exception {
        return TestOutputContext.match(Files.createTempFile(dir, "out", ".conf"), "**", body);
    }
}
