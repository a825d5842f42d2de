package org.kinesisaggregator.server.output;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.kinesisaggregator.buffer.EntryWriter;
import org.kinesisaggregator.buffer.InMemoryChunk;
import org.kinesisaggregator.buffer.Output;
import org.kinesisaggregator.buffer.WriteResult;
import org.kinesisaggregator.conf.ConfElement;
import org.kinesisaggregator.conf.ConfEnvironment;
import org.kinesisaggregator.conf.ConfParser;
import org.kinesisaggregator.kinesis.FormatSettings;
import org.kinesisaggregator.kinesis.format.EventFormatter;
import org.kinesisaggregator.server.app.FileOutputConf;
import org.kinesisaggregator.server.app.FormatConf;

/**
 * Issue 12 finding 1 at the outputs: a chunk holding events that cannot be formatted (a time
 * outside the range, as chunks buffered before the ingest check may hold, or a record the
 * formatter throws on) delivers its other events and rejects those alone, with the reason.
 */
class UnformattableEventTest {
    private static final String RANGE = "(expected: 0..4294967295 seconds since the epoch, 1970..2106)";

    @TempDir
    Path dir;

    /** Good events 0, 2, 4, 6; 1, 3 and 5 have times no output can represent. */
    private static InMemoryChunk poisonedChunk() {
        EntryWriter w = new EntryWriter()
                .add(1_795_564_800L, 0, Map.of("n", 0))
                .addFloatTime(1e300, Map.of("n", 1))
                .add(1_795_564_801L, 0, Map.of("n", 2))
                .addIntegerTime(Long.MIN_VALUE, Map.of("n", 3))
                .add(1_795_564_802L, 0, Map.of("n", 4))
                .add(1_795_564_803L, -1, Map.of("n", 5))
                .add(1_795_564_804L, 0, Map.of("n", 6));
        return InMemoryChunk.of("c1", "web.access", w.toByteBuffer(), w.eventCount(), Instant.EPOCH);
    }

    private static void assertPoisonRejected(WriteResult r) {
        assertThat(r.failureReason()).isNull();
        assertThat(r.delivered().stream()).containsExactly(0, 2, 4, 6);
        assertThat(r.rejected())
                .containsExactly(
                        Map.entry(1, "time: 9223372036854775807 seconds " + RANGE),
                        Map.entry(3, "time: -9223372036854775808 seconds " + RANGE),
                        Map.entry(5, "time: 4294967295 nanoseconds (expected: 0..999999999)"));
    }

    /** out_file, json, msgpack, single_value, stdout-style and hash formats, with the default daily time slices. */
    @ParameterizedTest
    @ValueSource(
            strings = {
                "out_file",
                "json",
                "msgpack",
                "single_value\n    message_key n",
                "stdout",
                "hash",
                "out_file\n    time_format %Y-%m-%dT%H:%M:%S.%N%z"
            })
    void fileOutputWritesTheGoodEventsOfAChunkAndRejectsThePoisonedOnes(String format) throws Exception {
        ConfElement e = element("  path ${dir}/out/x\n  append true\n  <format>\n    @type " + format
                + "\n    utc true\n  </format>\n  <buffer>\n  </buffer>\n");
        FileOutput out = new FileOutput("t", FileOutputConf.settings(e, ZoneOffset.UTC, "host"));
        out.start();
        WriteResult r;
        try {
            r = out.write(poisonedChunk()).get(10, SECONDS);
        } finally {
            out.close();
        }
        assertPoisonRejected(r);
        byte[] written = Files.readAllBytes(dir.resolve("out/x.log"));
        if (!format.equals("msgpack")) {
            assertThat(new String(written, StandardCharsets.UTF_8).lines()).hasSize(4);
        } else {
            assertThat(written).hasSize(4 * 4); // {"n": k}: fixmap, fixstr "n", fixint, newline
        }
    }

    @Test
    void fileOutputWithTimeSlicesWritesEachGoodEventToItsSlice() throws Exception {
        ConfElement e = element("  path ${dir}/sliced\n  <format>\n    @type json\n  </format>\n");
        FileOutput out = new FileOutput("t", FileOutputConf.settings(e, ZoneOffset.UTC, "host"));
        out.start();
        try {
            assertPoisonRejected(out.write(poisonedChunk()).get(10, SECONDS));
        } finally {
            out.close();
        }
        assertThat(Files.readString(dir.resolve("sliced.20261125_0.log")))
                .isEqualTo("{\"n\":0}\n{\"n\":2}\n{\"n\":4}\n{\"n\":6}\n");
    }

    @Test
    void stdoutOutputPrintsTheGoodEventsAndRejectsThePoisonedOnes() throws Exception {
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        ConfElement e = element("  <format>\n    @type stdout\n    utc true\n  </format>\n");
        StdoutOutput out = new StdoutOutput(
                "o", FormatConf.fileOrStdout(e, FormatSettings.Format.STDOUT, ZoneOffset.UTC, "host"), printed);
        out.start();
        try {
            assertPoisonRejected(out.write(poisonedChunk()).get(10, SECONDS));
        } finally {
            out.close();
        }
        assertThat(printed.toString(StandardCharsets.UTF_8))
                .isEqualTo("2026-11-25 00:00:00.000000000 +0000 web.access: {\"n\":0}\n"
                        + "2026-11-25 00:00:01.000000000 +0000 web.access: {\"n\":2}\n"
                        + "2026-11-25 00:00:02.000000000 +0000 web.access: {\"n\":4}\n"
                        + "2026-11-25 00:00:04.000000000 +0000 web.access: {\"n\":6}\n");
    }

    /** An event whose formatting fails midway (nesting too deep): it alone is rejected, none of its bytes kept. */
    @Test
    void anEventThatFailsMidwayCostsOnlyThatEvent() throws Exception {
        Map<String, Object> deep = Map.of("n", 1);
        for (int i = 0; i < EventFormatter.MAX_DEPTH + 1; i++) {
            deep = Map.of("n", deep);
        }
        EntryWriter w = new EntryWriter()
                .add(1_795_564_800L, 0, Map.of("n", 0))
                .add(1_795_564_801L, 0, deep)
                .add(1_795_564_802L, 0, Map.of("n", 2));
        InMemoryChunk chunk = InMemoryChunk.of("c1", "t", w.toByteBuffer(), 3, Instant.EPOCH);
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        FormatSettings json = FormatConf.fileOrStdout(
                element("  <format>\n    @type json\n  </format>\n"),
                FormatSettings.Format.OUT_FILE,
                ZoneOffset.UTC,
                "host");
        List<Output> outputs = List.of(
                new FileOutput(
                        "t",
                        new FileOutput.Settings(
                                dir.resolve("thrown.log").toString(), true, false, null, ZoneOffset.UTC, json)),
                new StdoutOutput("o", json, printed));
        for (Output out : outputs) {
            out.start();
            try {
                WriteResult r = out.write(chunk).get(10, SECONDS);
                assertThat(r.delivered().stream()).as(out.type()).containsExactly(0, 2);
                assertThat(r.rejected())
                        .containsExactly(
                                Map.entry(1, "record: nesting deeper than 256 levels (expected: at most 256)"));
            } finally {
                out.close();
            }
        }
        String expected = "{\"n\":0}\n{\"n\":2}\n";
        assertThat(Files.readString(dir.resolve("thrown.log"))).isEqualTo(expected);
        assertThat(printed.toString(StandardCharsets.UTF_8)).isEqualTo(expected);
    }

    private ConfElement element(String body) throws Exception {
        Path f = dir.resolve("out.conf");
        Files.writeString(f, "<match **>\n  @type file\n" + body.replace("${dir}", dir.toString()) + "</match>\n");
        return new ConfParser(ConfEnvironment.system()).parse(f).elements().get(0);
    }
}
