package org.kinesisaggregator.server.app;

import java.io.IOException;
import java.io.OutputStream;
import java.time.Clock;
import java.time.DateTimeException;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Locale;
import org.kinesisaggregator.conf.ConfElement;
import org.kinesisaggregator.conf.ConfException;
import org.kinesisaggregator.kinesis.FormatSettings;
import org.kinesisaggregator.kinesis.format.EventFormatException;
import org.kinesisaggregator.kinesis.format.EventFormatter;
import org.kinesisaggregator.server.route.ParserFilter;
import org.kinesisaggregator.server.route.StdoutFilter;
import org.kinesisaggregator.server.route.TextParser;
import org.kinesisaggregator.server.route.TimeParser;

/**
 * Maps {@code <filter> @type stdout} and {@code <filter> @type parser} (with its {@code <parse>},
 * or the v0.12 flat {@code format}) onto their filters. Stateless; confined to the assembling thread.
 */
final class FilterConf {
    /** The {@code <parse> @type}s of the parser filter. */
    static final List<String> PARSE_TYPES = List.of("json", "regexp", "none", "ltsv");

    private FilterConf() {}

    /**
     * {@code @type stdout}: the {@code <format>} (default {@code stdout}) of out_stdout, to {@code out},
     * with the one event format every output uses. Filters run on the inputs' threads: each thread
     * formats in a workspace of its own.
     */
    static StdoutFilter stdout(ConfElement e, OutputStream out, ZoneId zone, String hostname) {
        FormatSettings format = FormatConf.fileOrStdout(e, FormatSettings.Format.STDOUT, zone, hostname);
        EventFormatter formatter = new EventFormatter(format);
        ThreadLocal<EventFormatter.Workspace> workspaces = ThreadLocal.withInitial(formatter::newWorkspace);
        return new StdoutFilter(
                (tag, epochSecond, nanos, record, line) -> {
                    EventFormatter.Workspace w = workspaces.get();
                    w.load(record);
                    try {
                        w.format(tag, epochSecond, nanos);
                    } catch (EventFormatException ex) {
                        throw new IOException(ex.getMessage(), ex);
                    }
                    line.write(w.array(), 0, w.length());
                },
                out);
    }

    /** {@code @type parser}. */
    static ParserFilter parser(ConfElement e, Clock clock, ZoneId defaultZone) {
        String keyName = e.requiredString("key_name");
        ParserFilter.Settings settings = new ParserFilter.Settings(
                keyName,
                e.bool("reserve_data", false),
                e.bool("reserve_time", false),
                e.bool("remove_key_name_field", false),
                e.string("inject_key_prefix", null),
                e.string("hash_value_field", null),
                e.bool("emit_invalid_record_to_error", true));
        if (e.bool("replace_invalid_sequence", false)) {
            throw e.error(
                    "replace_invalid_sequence",
                    "true is not supported (expected: false; invalid UTF-8 is read as U+FFFD anyway)");
        }
        return new ParserFilter(settings, textParser(e, clock, defaultZone));
    }

    /** The {@code <parse>} section of {@code e} (or its v0.12 {@code format} parameter). */
    static TextParser textParser(ConfElement e, Clock clock, ZoneId defaultZone) {
        ConfElement parse = e.element("parse");
        ConfElement conf;
        String type;
        String legacyExpression = null;
        if (parse != null) {
            parse.markUsed();
            conf = parse;
            type = parse.type();
            if (type == null) {
                throw parse.missing("@type");
            }
        } else if (e.has("format")) {
            conf = e;
            type = e.string("format", null);
            if (type.startsWith("/")) {
                legacyExpression = type;
                type = "regexp";
            }
        } else {
            throw new ConfException(
                    e.location(),
                    e.describe() + ": missing <parse> section (expected: <parse> @type json | regexp | none | ltsv"
                            + " </parse>)");
        }
        String typeParam = parse != null ? (parse.has("@type") ? "@type" : "type") : "format";
        if (!PARSE_TYPES.contains(type)) {
            throw conf.error(
                    typeParam,
                    "\"" + type + "\" is not supported (expected: json, regexp, none or ltsv; a named format such"
                            + " as apache2, nginx or syslog can be written as a regexp with its expression)");
        }
        String defaultTimeKey = type.equals("none") ? null : "time";
        String timeFormat = conf.string("time_format", null);
        String defaultTimeType = type.equals("json") && timeFormat == null ? "float" : "string";
        String timeType = conf.choice("time_type", defaultTimeType, List.of("float", "unixtime", "string"));
        TimeParser timeParser;
        try {
            timeParser = TimeParser.of(
                    TimeParser.Type.valueOf(timeType.toUpperCase(Locale.ROOT)), timeFormat, zone(conf, defaultZone));
        } catch (IllegalArgumentException ex) {
            throw conf.error("time_format", ex.getMessage());
        }
        TextParser.TimeSettings time = new TextParser.TimeSettings(
                conf.string("time_key", defaultTimeKey),
                conf.bool("keep_time_key", false),
                conf.bool("estimate_current_event", true),
                timeParser);
        return switch (type) {
            case "json" -> TextParser.json(time, clock);
            case "none" -> TextParser.none(conf.string("message_key", "message"), time, clock);
            case "ltsv" ->
                TextParser.ltsv(conf.string("delimiter", "\t"), conf.string("label_delimiter", ":"), time, clock);
            default -> regexp(conf, legacyExpression, time, clock);
        };
    }

    private static TextParser regexp(
            ConfElement conf, String legacyExpression, TextParser.TimeSettings time, Clock clock) {
        String param = legacyExpression != null ? "format" : "expression";
        String expression = legacyExpression != null ? legacyExpression : conf.requiredString("expression");
        boolean ignoreCase = conf.bool("ignorecase", false);
        boolean multiline = conf.bool("multiline", false);
        if (expression.startsWith("/")) {
            int close = expression.lastIndexOf('/');
            if (close == 0) {
                throw conf.error(param, "\"" + expression + "\" has no closing / (expected: /re/ or a bare regex)");
            }
            for (char f : expression.substring(close + 1).toCharArray()) {
                switch (f) {
                    case 'i' -> ignoreCase = true;
                    case 'm' -> multiline = true;
                    default -> throw conf.error(param, "unknown regexp flag '" + f + "' (expected: i or m)");
                }
            }
            expression = expression.substring(1, close);
        }
        try {
            return TextParser.regexp(expression, ignoreCase, multiline, time, clock);
        } catch (IllegalArgumentException ex) {
            throw conf.error(param, ex.getMessage());
        }
    }

    /** {@code timezone}, {@code utc}, {@code localtime} of a {@code <parse>}: the zone of a zone-less time. */
    private static ZoneId zone(ConfElement conf, ZoneId defaultZone) {
        String timezone = conf.string("timezone", null);
        if (timezone != null) {
            try {
                return ZoneId.of(timezone);
            } catch (DateTimeException ex) {
                throw conf.error(
                        "timezone",
                        "\"" + timezone + "\" is no zone (expected: +09:00 or a region such as" + " Asia/Tokyo)");
            }
        }
        if (conf.bool("utc", false) || !conf.bool("localtime", true)) {
            return ZoneOffset.UTC;
        }
        return defaultZone;
    }
}
