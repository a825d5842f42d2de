package org.kinesisaggregator.server.app;

import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import org.kinesisaggregator.conf.ConfElement;
import org.kinesisaggregator.kinesis.FormatSettings;
import org.kinesisaggregator.kinesis.FormatSettings.Format;

/**
 * The one mapping of {@code <format>} and {@code <inject>} sections (and their v0.12 flat names)
 * onto kpl-bridge's {@link FormatSettings}, for every output that formats: file, stdout and the
 * Kinesis types ({@link KinesisOutputFactory} adds its plugin-level names). It lives
 * here because only {@code .conf} and {@code .server.app} read conf syntax (ArchitectureTest). Every output then
 * formats with the same {@link org.kinesisaggregator.kinesis.format.EventFormatter}, so the same
 * sections give the same bytes everywhere. Errors name file, line and parameter. Stateless.
 */
public final class FormatConf {
    private FormatConf() {}

    /**
     * The format of a file or stdout output: its {@code <format>} section (or, without one, the
     * flat {@code format}, {@code output_type}, {@code time_format}, … on {@code e}) and its
     * {@code <inject>} section.
     *
     * @param defaultType {@code stdout} for stdout, {@code out_file} for file
     * @param defaultZone the zone of {@code localtime true}
     * @param hostname {@code <inject> hostname}'s default: the application's host name
     */
    public static FormatSettings fileOrStdout(ConfElement e, Format defaultType, ZoneId defaultZone, String hostname) {
        ConfElement section = e.element("format");
        ConfElement conf = section != null ? section : e;
        String typeName = section != null ? section.type() : e.string("format", null);
        Format type = typeName == null
                ? defaultType
                : type(typeName, section != null ? section : e, section != null ? typeParam(section) : "format");
        boolean newline = conf.bool("add_newline", true) || type == Format.STDOUT;
        FormatSettings f = FormatSettings.builder()
                .format(type)
                .appendNewline(newline)
                .timeZone(defaultZone)
                .build();
        f = typeParameters(conf, f, defaultZone);
        ConfElement inject = e.element("inject");
        if (inject != null) {
            inject.markUsed();
            f = injectKeys(inject, f, hostname);
            f = injectTime(inject, f, null, defaultZone);
        }
        return f;
    }

    /** The parameter that named the type in {@code section}: {@code @type} or v0.12's {@code type}. */
    public static String typeParam(ConfElement section) {
        return section.has("@type") ? "@type" : "type";
    }

    /** {@code name} as a format type; an error at {@code where}'s {@code param} when it is none. */
    public static Format type(String name, ConfElement where, String param) {
        try {
            return Format.fromConfName(name);
        } catch (IllegalArgumentException ex) {
            throw where.error(param, "\"" + name + "\" is not supported (expected: one of " + Format.confNames() + ")");
        }
    }

    /**
     * The parameters of {@code f}'s type read from {@code conf}: single_value's {@code message_key},
     * ltsv's {@code delimiter} / {@code label_delimiter}, out_file's {@code delimiter},
     * {@code output_time}, {@code output_tag}, stdout's {@code output_type}, and the formatter's own
     * {@code time_format} and zone (printed by out_file and stdout).
     */
    public static FormatSettings typeParameters(ConfElement conf, FormatSettings f, ZoneId defaultZone) {
        Format type = f.format();
        FormatSettings.Layout d = FormatSettings.Layout.DEFAULT;
        Format body = type;
        Format outputType = d.outputType();
        if (type == Format.STDOUT) {
            String name = conf.string("output_type", "json");
            if (!List.of("json", "hash", "ltsv", "single_value").contains(name)) {
                throw conf.error(
                        "output_type",
                        "\"" + name + "\" is not supported (expected: json, hash, ltsv or single_value)");
            }
            outputType = Format.fromConfName(name);
            body = outputType;
        }
        if (body == Format.SINGLE_VALUE) {
            f = f.toBuilder()
                    .messageKey(conf.string("message_key", FormatSettings.DEFAULT_MESSAGE_KEY))
                    .build();
        }
        String delimiter = d.delimiter();
        String labelDelimiter = d.labelDelimiter();
        if (body == Format.LTSV) {
            delimiter = conf.string("delimiter", delimiter);
            labelDelimiter = conf.string("label_delimiter", labelDelimiter);
        }
        boolean outputTime = d.outputTime();
        boolean outputTag = d.outputTag();
        if (type == Format.OUT_FILE) {
            delimiter = switch (conf.string("delimiter", "\t").toUpperCase(Locale.ROOT)) {
                case "SPACE", " " -> " ";
                case "COMMA", "," -> ",";
                default -> "\t";
            };
            outputTime = conf.bool("output_time", true);
            outputTag = conf.bool("output_tag", true);
        }
        // read for every type, as Fluentd's formatters take them; only out_file and stdout print a time
        String timeFormat = conf.string("time_format", null);
        ZoneId zone = zone(conf, defaultZone);
        try {
            return f.toBuilder()
                    .layout(new FormatSettings.Layout(
                            delimiter, labelDelimiter, outputTime, outputTag, outputType, timeFormat, zone))
                    .build();
        } catch (IllegalArgumentException ex) {
            throw conf.error("time_format", strftimeMessage(ex));
        }
    }

    /**
     * {@code <inject>}'s {@code tag_key}, {@code time_key}, {@code hostname_key} / {@code hostname}.
     *
     * @param hostname {@code hostname}'s default: the application's host name ({@code Aggregator.Environment})
     */
    public static FormatSettings injectKeys(ConfElement inject, FormatSettings f, String hostname) {
        FormatSettings.Builder b = f.toBuilder();
        String tagKey = inject.string("tag_key", null);
        if (tagKey != null) {
            b.tagKey(tagKey);
        }
        String timeKey = inject.string("time_key", null);
        if (timeKey != null) {
            b.timeKey(timeKey);
        }
        String hostnameKey = inject.string("hostname_key", null);
        if (hostnameKey != null) {
            String value = inject.string("hostname", null);
            b.hostname(hostnameKey, value != null ? value : Objects.requireNonNull(hostname, "hostname"));
        }
        return b.build();
    }

    /**
     * The injected time's {@code time_type}, {@code time_format} (default {@code defaultFormat}: null
     * is ISO 8601 seconds) and zone ({@code localtime}, {@code utc}, {@code timezone}), read from
     * {@code source} ({@code <inject>}, or a Kinesis output's own element in the v0.12 style).
     */
    public static FormatSettings injectTime(
            ConfElement source, FormatSettings f, String defaultFormat, ZoneId defaultZone) {
        FormatSettings.TimeType timeType = FormatSettings.TimeType.fromConfName(
                source.choice("time_type", "string", List.of("string", "unixtime", "float")));
        String timeFormat = source.string("time_format", defaultFormat);
        ZoneId zone = zone(source, defaultZone);
        try {
            return f.toBuilder().time(timeType, timeFormat, zone).build();
        } catch (IllegalArgumentException ex) {
            throw source.error("time_format", strftimeMessage(ex));
        }
    }

    /** {@code timezone}, {@code utc}, {@code localtime}: the zone of formatted times. */
    public static ZoneId zone(ConfElement conf, ZoneId defaultZone) {
        String tz = conf.string("timezone", null);
        if (tz != null) {
            try {
                return ZoneId.of(tz);
            } catch (RuntimeException e) {
                throw conf.error(
                        "timezone", "\"" + tz + "\" is not a time zone (expected: +09:00 or a region like Asia/Tokyo)");
            }
        }
        if (conf.bool("utc", false)) {
            return ZoneOffset.UTC;
        }
        return conf.bool("localtime", true) ? defaultZone : ZoneOffset.UTC;
    }

    /** A strftime error's message without its own {@code time_format: } prefix (the conf error names the parameter). */
    public static String strftimeMessage(IllegalArgumentException ex) {
        String message = String.valueOf(ex.getMessage());
        return message.startsWith("time_format: ") ? message.substring("time_format: ".length()) : message;
    }
}
