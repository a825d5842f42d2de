package org.kinesisaggregator.server.output;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.kinesisaggregator.buffer.EntryWriter;
import org.kinesisaggregator.buffer.InMemoryChunk;
import org.kinesisaggregator.buffer.WriteResult;
import org.kinesisaggregator.conf.ConfElement;
import org.kinesisaggregator.conf.ConfEnvironment;
import org.kinesisaggregator.conf.ConfParser;
import org.kinesisaggregator.kinesis.FormatSettings;
import org.kinesisaggregator.kinesis.format.EventFormatter;
import org.kinesisaggregator.server.app.FileOutputConf;
import org.kinesisaggregator.server.app.FormatConf;

/** out_file's path rules, time slices, append/index, gzip, and the formatters it writes with. */
class FileOutputTest {
    @TempDir
    Path dir;

    /** The examples of out_file's generate_path_template comment, and the no-timekey case. */
    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            nullValues = "null",
            value = {
                "/path/to/dir/file.*       | 86400 | false | false | /path/to/dir/file.%Y%m%d_**",
                "/path/to/dir/file.*.data  | 86400 | false | false | /path/to/dir/file.%Y%m%d_**.data",
                "/path/to/dir/file         | 86400 | false | false | /path/to/dir/file.%Y%m%d_**.log",
                "/path/to/dir/file         | 86400 | true  | false | /path/to/dir/file.%Y%m%d.log",
                "/path/to/dir/file         | 3600  | true  | true  | /path/to/dir/file.%Y%m%d%H.log.gz",
                "/path/to/dir/file         | 60    | true  | false | /path/to/dir/file.%Y%m%d%H%M.log",
                "/path/to/dir/file         | 1     | true  | false | /path/to/dir/file.%Y%m%d%H%M%S.log",
                "/path/%Y/%m/%d/file       | 86400 | true  | false | /path/%Y/%m/%d/file.log",
                "/path/to/dir/file         | null  | false | false | /path/to/dir/file_**.log",
                "/path/to/dir/file         | null  | true  | false | /path/to/dir/file.log",
            })
    void pathTemplates(String path, Long timekeySeconds, boolean append, boolean gzip, String expected) {
        Duration timekey = timekeySeconds == null ? null : Duration.ofSeconds(timekeySeconds);
        assertThat(FileOutput.pathTemplate(path, timekey, append, gzip, ".log")).isEqualTo(expected);
    }

    @Test
    void v012TimeSliceFormat() throws Exception {
        ConfElement e = element("  path ${dir}/legacy\n  time_slice_format %Y%m%d%H\n  format json\n");
        FileOutput.Settings s = FileOutputConf.settings(e, ZoneOffset.UTC, "host");
        assertThat(s.pathTemplate()).isEqualTo(dir + "/legacy.%Y%m%d%H_**.log");
        assertThat(s.timekey()).isEqualTo(Duration.ofHours(1));
    }

    @Test
    void insufficientTimePlaceholdersAreRefused() {
        assertThatThrownBy(() -> FileOutput.pathTemplate("/p/%Y/file", Duration.ofDays(1), true, false, ".log"))
                .hasMessage(
                        "insufficient timestamp placeholders in path (expected: all of %Y %m %d for timekey 86400s)");
    }

    private ConfElement element(String body) throws Exception {
        Path f = dir.resolve("out.conf");
        Files.writeString(f, "<match **>\n  @type file\n" + body.replace("${dir}", dir.toString()) + "</match>\n");
        return new ConfParser(ConfEnvironment.system()).parse(f).elements().get(0);
    }

    private static InMemoryChunk chunk(String tag, EntryWriter w) {
        return InMemoryChunk.of("c1", tag, w.toByteBuffer(), w.eventCount(), Instant.EPOCH);
    }

    @Test
    void nonAppendWritesTakeTheFirstFreeIndexAndTagPlaceholdersSplitFiles() throws Exception {
        ConfElement e = element("  path ${dir}/out/${tag[1]}/x\n  <format>\n    @type json\n  </format>\n");
        FileOutput out = new FileOutput("t", FileOutputConf.settings(e, ZoneOffset.UTC, "host"));
        out.start();
        try {
            EntryWriter w = new EntryWriter().add(1_795_564_800L, 0, Map.of("a", 1));
            assertThat(out.write(chunk("web.access", w)).get(10, SECONDS).isAllDelivered())
                    .isTrue();
            assertThat(out.write(chunk("web.access", w)).get(10, SECONDS).isAllDelivered())
                    .isTrue();
            assertThat(out.write(chunk("web.error", w)).get(10, SECONDS).isAllDelivered())
                    .isTrue();
        } finally {
            out.close();
        }
        assertThat(Files.readString(dir.resolve("out/access/x.20261125_0.log"))).isEqualTo("{\"a\":1}\n");
        assertThat(Files.readString(dir.resolve("out/access/x.20261125_1.log"))).isEqualTo("{\"a\":1}\n");
        assertThat(Files.readString(dir.resolve("out/error/x.20261125_0.log"))).isEqualTo("{\"a\":1}\n");
    }

    @Test
    void symlinkPathPointsAtTheNewestFileWrittenAndARetriedOlderSliceDoesNotMoveIt() throws Exception {
        ConfElement e = element("  path ${dir}/app/access\n  symlink_path ${dir}/current.log\n"
                + "  <format>\n    @type json\n  </format>\n");
        FileOutput out = new FileOutput("t", FileOutputConf.settings(e, ZoneOffset.UTC, "host"));
        out.start();
        Path link = dir.resolve("current.log");
        try {
            EntryWriter day1 = new EntryWriter().add(1_795_564_800L, 0, Map.of("a", 1)); // 2026-11-25
            EntryWriter day2 = new EntryWriter().add(1_795_651_200L, 0, Map.of("a", 2)); // 2026-11-26
            out.write(chunk("t", day1)).get(10, SECONDS);
            assertThat(Files.readSymbolicLink(link)).isEqualTo(dir.resolve("app/access.20261125_0.log"));
            out.write(chunk("t", day2)).get(10, SECONDS);
            assertThat(Files.readSymbolicLink(link)).isEqualTo(dir.resolve("app/access.20261126_0.log"));
            out.write(chunk("t", day1)).get(10, SECONDS); // a retried chunk of the day before
            assertThat(Files.readSymbolicLink(link)).isEqualTo(dir.resolve("app/access.20261126_0.log"));
            assertThat(Files.readString(link)).isEqualTo("{\"a\":2}\n");
        } finally {
            out.close();
        }
    }

    @Test
    void symlinkPathUseRelativeAndTheRefusals() throws Exception {
        ConfElement e = element("  path ${dir}/app/access\n  append true\n  symlink_path ${dir}/links/now\n"
                + "  symlink_path_use_relative true\n");
        FileOutput out = new FileOutput("t", FileOutputConf.settings(e, ZoneOffset.UTC, "host"));
        out.start();
        try {
            out.write(chunk("t", new EntryWriter().add(1_795_564_800L, 0, Map.of("a", 1))))
                    .get(10, SECONDS);
        } finally {
            out.close();
        }
        assertThat(Files.readSymbolicLink(dir.resolve("links/now")).toString()).isEqualTo("../app/access.20261125.log");
        ConfElement placeholder = element("  path ${dir}/a\n  symlink_path ${dir}/${tag}.log\n");
        assertThatThrownBy(() -> FileOutputConf.settings(placeholder, ZoneOffset.UTC, "host"))
                .hasMessageContaining("out.conf:4")
                .hasMessageContaining("placeholders in symlink_path are not supported");
    }

    @Test
    void timeSlicesFollowTheTimekeyZone() throws Exception {
        ConfElement e = element(
                "  path ${dir}/tokyo\n  append true\n  <format>\n    @type single_value\n"
                        + "    message_key m\n  </format>\n  <buffer time>\n    timekey 1d\n    timekey_zone +09:00\n  </buffer>\n");
        FileOutput out = new FileOutput("t", FileOutputConf.settings(e, ZoneId.of("UTC"), "host"));
        out.start();
        try {
            // 2026-11-25 14:59:59 UTC is 23:59:59 in Tokyo; one second later is the next day there.
            EntryWriter w = new EntryWriter()
                    .add(1_795_618_799L, 0, Map.of("m", "late"))
                    .add(1_795_618_800L, 0, Map.of("m", "next"));
            out.write(chunk("t", w)).get(10, SECONDS);
        } finally {
            out.close();
        }
        assertThat(Files.readString(dir.resolve("tokyo.20261125.log"))).isEqualTo("late\n");
        assertThat(Files.readString(dir.resolve("tokyo.20261126.log"))).isEqualTo("next\n");
    }

    @Test
    void gzipAppendsOneMemberPerWrite() throws Exception {
        ConfElement e = element("  path ${dir}/z\n  append true\n  compress gzip\n  <format>\n    @type ltsv\n"
                + "  </format>\n  <buffer>\n  </buffer>\n");
        FileOutput out = new FileOutput("t", FileOutputConf.settings(e, ZoneOffset.UTC, "host"));
        out.start();
        try {
            out.write(chunk("t", new EntryWriter().add(1, 0, Map.of("k", "v1"))))
                    .get(10, SECONDS);
            out.write(chunk("t", new EntryWriter().add(2, 0, Map.of("k", "v2"))))
                    .get(10, SECONDS);
        } finally {
            out.close();
        }
        try (InputStream in = new GZIPInputStream(Files.newInputStream(dir.resolve("z.log.gz")))) {
            assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("k:v1\nk:v2\n");
        }
    }

    @Test
    void aWriteToAnUnwritablePathFailsTheWriteWithTheReason() throws Exception {
        Files.writeString(dir.resolve("blocker"), "a file where a directory should be");
        ConfElement e = element("  path ${dir}/blocker/sub/x\n  append true\n  <buffer>\n  </buffer>\n");
        FileOutput out = new FileOutput("t", FileOutputConf.settings(e, ZoneOffset.UTC, "host"));
        out.start();
        try {
            WriteResult r = out.write(chunk("t", new EntryWriter().add(1, 0, Map.of("k", "v"))))
                    .get(10, SECONDS);
            assertThat(r.isAllDelivered()).isFalse();
            assertThat(r.failureReason()).contains("blocker");
        } finally {
            out.close();
        }
    }

    @Test
    void formatters() throws Exception {
        Map<String, Object> record = new LinkedHashMap<>();
        record.put("s", "a\"b");
        record.put("n", 1.5);
        record.put("nil", null);
        record.put("list", List.of(1, "x"));
        EntryWriter w = new EntryWriter().add(1_795_564_800L, 120_000_000, record);
        assertThat(format(
                        "  <format>\n    @type out_file\n    delimiter COMMA\n    time_format %Y-%m-%dT%H:%M:%S.%L%z\n"
                                + "    utc true\n  </format>\n",
                        w))
                .isEqualTo(
                        "2026-11-25T00:00:00.120+0000,tag,{\"s\":\"a\\\"b\",\"n\":1.5,\"nil\":null,\"list\":[1,\"x\"]}\n");
        assertThat(format("  <format>\n    @type hash\n  </format>\n", w))
                .isEqualTo("{\"s\"=>\"a\\\"b\", \"n\"=>1.5, \"nil\"=>nil, \"list\"=>[1, \"x\"]}\n");
        assertThat(format("  format stdout\n  output_type ltsv\n  timezone +09:00\n", w))
                .isEqualTo("2026-11-25 09:00:00.120000000 +0900 tag: s:a\"b\tn:1.5\tnil:\tlist:[1,\"x\"]\n");
        assertThat(format("  <format>\n    @type json\n    add_newline false\n  </format>\n", w))
                .isEqualTo("{\"s\":\"a\\\"b\",\"n\":1.5,\"nil\":null,\"list\":[1,\"x\"]}");
        assertThatThrownBy(() -> format("  <format>\n    @type csv\n  </format>\n", w))
                .hasMessageContaining(":5: @type: \"csv\" is not supported (expected: one of json, msgpack,"
                        + " single_value, ltsv, hash, out_file, stdout)");
    }

    private String format(String body, EntryWriter w) throws Exception {
        ConfElement e = element("  path ${dir}/f\n" + body);
        EventFormatter.Workspace formatter = new EventFormatter(
                        FormatConf.fileOrStdout(e, FormatSettings.Format.OUT_FILE, ZoneOffset.UTC, "host"))
                .newWorkspace();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (var c = chunk("tag", w).events()) {
            while (c.next()) {
                formatter.load(c.record());
                formatter.format(c.tag(), c.epochSecond(), c.nanos());
                out.write(formatter.array(), 0, formatter.length());
            }
        }
        return out.toString(StandardCharsets.UTF_8);
    }
}
