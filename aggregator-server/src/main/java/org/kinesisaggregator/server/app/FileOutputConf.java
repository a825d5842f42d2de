package org.kinesisaggregator.server.app;

import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneId;
import java.util.List;
import java.util.Set;
import org.kinesisaggregator.conf.ConfElement;
import org.kinesisaggregator.kinesis.FormatSettings;
import org.kinesisaggregator.kinesis.format.StrftimeFormatter;
import org.kinesisaggregator.server.output.ChunkKeySpec;
import org.kinesisaggregator.server.output.FileOutput;
import org.kinesisaggregator.server.output.SecondaryFileOutput;

/**
 * Maps the file outputs' elements onto what the output package takes as it is: an out_file element
 * (a {@code <match> @type file} or a {@code <secondary> @type file}) onto {@link FileOutput.Settings}
 * (see {@link #settings}), a {@code <secondary> @type secondary_file} onto a {@link SecondaryFileOutput}.
 * For out_file: the path template, the
 * time key and the zone of its slices resolved here ({@link TimekeyConf#zone}), the format with the
 * application's host name for {@code <inject> hostname_key}, and {@code symlink_path}.
 *
 * <p>Stateless; thread-safe.
 */
public final class FileOutputConf {
    private FileOutputConf() {}

    /**
     * Reads an out_file element ({@code path}, {@code append}, {@code add_path_suffix},
     * {@code path_suffix}, {@code compress}, {@code <format>}, and the time key of its
     * {@code <buffer>}: the {@code time} chunk key, {@code timekey}, {@code timekey_use_utc},
     * {@code timekey_zone}, resolved by {@link TimekeyConf#zone}).
     *
     * @param defaultZone the machine's zone ({@code localtime}, and time slices without {@code timekey_zone})
     * @param hostname the application's host name: {@code <inject> hostname}'s default
     */
    public static FileOutput.Settings settings(ConfElement e, ZoneId defaultZone, String hostname) {
        String path = e.requiredString("path");
        boolean append = e.bool("append", false);
        boolean addSuffix = e.bool("add_path_suffix", true);
        String suffix = addSuffix ? e.string("path_suffix", ".log") : "";
        String compress = e.choice("compress", "text", List.of("text", "gz", "gzip"));
        boolean gzip = !compress.equals("text");
        Symlink symlink = symlink(e);
        ConfElement buffer = e.element("buffer");
        Duration timekey = Duration.ofDays(1);
        ZoneId zone = defaultZone;
        if (buffer != null) {
            List<String> keys = ChunkKeySpec.parse(buffer.arg());
            timekey = keys.contains("time") ? buffer.time("timekey", Duration.ofDays(1)) : null;
            zone = TimekeyConf.zone(buffer, defaultZone);
        }
        String sliceFormat = e.string("time_slice_format", null); // v0.12: the time part of the name
        if (sliceFormat != null) {
            if (buffer != null) {
                throw e.error(
                        "time_slice_format", "is a v0.12 parameter (expected: timekey in <buffer> instead, not both)");
            }
            try {
                Set<Character> f = StrftimeFormatter.conversions(sliceFormat);
                timekey = f.contains('S')
                        ? Duration.ofSeconds(1)
                        : f.contains('M')
                                ? Duration.ofMinutes(1)
                                : f.contains('H') ? Duration.ofHours(1) : Duration.ofDays(1);
            } catch (IllegalArgumentException ex) {
                throw e.error("time_slice_format", FormatConf.strftimeMessage(ex));
            }
        }
        if (timekey == null && path.contains("*")) {
            throw e.error("path", "a path with '*' needs the time chunk key (expected: <buffer time> or no <buffer>)");
        }
        FormatSettings format = FormatConf.fileOrStdout(e, FormatSettings.Format.OUT_FILE, defaultZone, hostname);
        String template;
        try {
            template = FileOutput.pathTemplate(path, timekey, sliceFormat, append, gzip, suffix);
        } catch (IllegalArgumentException ex) {
            throw e.error("path", ex.getMessage());
        }
        return new FileOutput.Settings(
                template,
                append,
                gzip,
                timekey,
                zone,
                format,
                symlink == null ? null : symlink.path(),
                symlink != null && symlink.relative());
    }

    /**
     * Maps a {@code <secondary> @type secondary_file}: {@code directory}, {@code basename},
     * {@code append}, {@code compress}.
     */
    public static SecondaryFileOutput secondaryFile(String outputId, ConfElement e) {
        Path dir = Path.of(e.requiredString("directory"));
        String basename = e.string("basename", "dump.bin");
        if (basename.contains("/")) {
            throw e.error(
                    "basename",
                    "\"" + basename + "\" contains '/' (expected: a file name; put directories in directory)");
        }
        boolean append = e.bool("append", false);
        String compress = e.choice("compress", "text", List.of("text", "gz", "gzip"));
        return new SecondaryFileOutput(outputId, dir, basename, append, !compress.equals("text"));
    }

    /** {@code symlink_path} and how its target is written. */
    public record Symlink(Path path, boolean relative) {}

    /**
     * @return the symlink of an out_file element (or its {@code <secondary>}), or null without
     *     {@code symlink_path}
     */
    public static Symlink symlink(ConfElement e) {
        String symlink = e.string("symlink_path", null);
        boolean relative = e.bool("symlink_path_use_relative", false);
        if (symlink == null) {
            return null;
        }
        if (e.name().equals("secondary")) {
            throw e.error(
                    "symlink_path",
                    "option is unavailable in <secondary>: consider to use secondary_file plugin (expected: no"
                            + " symlink_path)");
        }
        if (symlink.contains("${") || symlink.contains("%")) {
            throw e.error(
                    "symlink_path",
                    "\"" + symlink + "\": placeholders in symlink_path are not supported (expected: a fixed path;"
                            + " the link always points at the newest file written)");
        }
        return new Symlink(Path.of(symlink), relative);
    }
}
