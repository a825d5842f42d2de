package org.kinesisaggregator.server.output;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.kinesisaggregator.conf.ConfElement;
import org.kinesisaggregator.server.route.MsgpackInputs;
import org.msgpack.core.MessagePack;
import org.msgpack.core.MessageUnpacker;
import org.msgpack.value.Value;
import org.msgpack.value.ValueFactory;

/**
 * Turns one event into bytes: the {@code <format>} common subset of Fluentd's formatters.
 *
 * <ul>
 *   <li>{@code json}: the record as JSON, newline.
 *   <li>{@code out_file}: {@code TIME<TAB>TAG<TAB>JSON}, newline; {@code output_time},
 *       {@code output_tag}, {@code delimiter} (TAB, SPACE, COMMA); time as ISO 8601 unless
 *       {@code time_format}.
 *   <li>{@code stdout}: {@code 2026-11-25 12:00:00.123456789 +0000 TAG: RECORD}, newline, RECORD
 *       as {@code output_type} ({@code json}, {@code hash}, {@code ltsv}, {@code single_value}).
 *   <li>{@code single_value}: the {@code message_key} field's text (default {@code message}).
 *   <li>{@code ltsv}: {@code key:value} pairs joined by {@code delimiter} (TAB) with
 *       {@code label_delimiter} ({@code :}).
 *   <li>{@code hash}: Ruby's {@code Hash#inspect}, {@code {"k"=>"v"}}.
 *   <li>{@code msgpack}: the record's msgpack bytes, no newline.
 * </ul>
 *
 * Time zone: {@code localtime} (default true: the machine's zone), {@code utc}, {@code timezone}
 * ({@code +09:00} or a region id). {@code add_newline false} drops the newline.
 *
 * <p>Implementations are immutable and thread-safe.
 */
public interface EventFormatter {

    /** Appends the formatted event to {@code out}; {@code record} is one msgpack map (not moved). */
    void format(String tag, long epochSecond, int nanos, ByteBuffer record, ByteArrayOutputStream out)
            throws IOException;

    /** The formatter types of this subset. */
    List<String> TYPES = List.of("json", "out_file", "stdout", "single_value", "ltsv", "hash", "msgpack");

    /**
     * Reads a {@code <format>} section of {@code output} (or, without one, the legacy flat
     * parameters {@code format}, {@code output_type}, {@code time_format}, … on {@code output}).
     *
     * @param defaultType the output's default formatter ({@code stdout} for stdout, {@code out_file} for file)
     * @param defaultZone the zone of {@code localtime true}
     */
    static EventFormatter fromConf(ConfElement output, String defaultType, ZoneId defaultZone) {
        ConfElement section = output.element("format");
        ConfElement conf = section != null ? section : output;
        String type = section != null ? section.type() : output.string("format", null);
        if (type == null) {
            type = defaultType;
        }
        if (!TYPES.contains(type)) {
            String message = "\"" + type + "\" is not supported (expected: one of " + String.join(", ", TYPES) + ")";
            throw section != null
                    ? section.error(section.has("@type") ? "@type" : "type", message)
                    : output.error("format", message);
        }
        ZoneId zone = zone(conf, defaultZone);
        String timeFormat = conf.string("time_format", null);
        boolean newline = conf.bool("add_newline", true);
        return switch (type) {
            case "json" -> json(newline);
            case "msgpack" -> (tag, s, n, record, out) -> write(out, record);
            case "out_file" -> {
                String delimiter = switch (conf.string("delimiter", "\t").toUpperCase(Locale.ROOT)) {
                    case "SPACE", " " -> " ";
                    case "COMMA", "," -> ",";
                    default -> "\t";
                };
                boolean withTime = conf.bool("output_time", true);
                boolean withTag = conf.bool("output_tag", true);
                Strftime time = strftime(conf, timeFormat == null ? "%Y-%m-%dT%H:%M:%S%:z" : timeFormat);
                EventFormatter body = json(newline);
                yield (tag, s, n, record, out) -> {
                    StringBuilder prefix = new StringBuilder();
                    if (withTime) {
                        prefix.append(time.format(s, n, zone)).append(delimiter);
                    }
                    if (withTag) {
                        prefix.append(tag).append(delimiter);
                    }
                    out.write(prefix.toString().getBytes(StandardCharsets.UTF_8));
                    body.format(tag, s, n, record, out);
                };
            }
            case "stdout" -> {
                Strftime time = strftime(conf, timeFormat == null ? "%Y-%m-%d %H:%M:%S.%N %z" : timeFormat);
                String outputType = conf.string("output_type", "json");
                if (!List.of("json", "hash", "ltsv", "single_value").contains(outputType)) {
                    throw conf.error(
                            "output_type",
                            "\"" + outputType + "\" is not supported (expected: json, hash, ltsv or single_value)");
                }
                EventFormatter body = simple(outputType, conf, false);
                yield (tag, s, n, record, out) -> {
                    out.write((time.format(s, n, zone) + " " + tag + ": ").getBytes(StandardCharsets.UTF_8));
                    body.format(tag, s, n, record, out);
                    out.write('\n');
                };
            }
            default -> simple(type, conf, newline);
        };
    }

    private static EventFormatter simple(String type, ConfElement conf, boolean newline) {
        return switch (type) {
            case "json" -> json(newline);
            case "hash" ->
                (tag, s, n, record, out) -> {
                    out.write(RubyInspect.inspect(unpack(record)).getBytes(StandardCharsets.UTF_8));
                    if (newline) {
                        out.write('\n');
                    }
                };
            case "single_value" -> {
                Value key = ValueFactory.newString(conf.string("message_key", "message"));
                yield (tag, s, n, record, out) -> {
                    Value v = unpack(record).asMapValue().map().get(key);
                    out.write(text(v).getBytes(StandardCharsets.UTF_8));
                    if (newline) {
                        out.write('\n');
                    }
                };
            }
            case "ltsv" -> {
                String delimiter = conf.string("delimiter", "\t");
                String labelDelimiter = conf.string("label_delimiter", ":");
                yield (tag, s, n, record, out) -> {
                    StringBuilder sb = new StringBuilder();
                    for (Map.Entry<Value, Value> e :
                            unpack(record).asMapValue().map().entrySet()) {
                        if (sb.length() > 0) {
                            sb.append(delimiter);
                        }
                        sb.append(text(e.getKey())).append(labelDelimiter).append(text(e.getValue()));
                    }
                    out.write(sb.toString().getBytes(StandardCharsets.UTF_8));
                    if (newline) {
                        out.write('\n');
                    }
                };
            }
            default -> throw new IllegalStateException(type);
        };
    }

    private static EventFormatter json(boolean newline) {
        JsonFactory factory = new JsonFactory();
        return (tag, s, n, record, out) -> {
            try (MessageUnpacker in = MessagePack.newDefaultUnpacker(MsgpackInputs.of(record));
                    JsonGenerator g = factory.createGenerator(out)) {
                g.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
                RecordJson.write(in, g);
            }
            if (newline) {
                out.write('\n');
            }
        };
    }

    private static Strftime strftime(ConfElement conf, String pattern) {
        try {
            return Strftime.compile(pattern);
        } catch (IllegalArgumentException e) {
            throw conf.error("time_format", e.getMessage());
        }
    }

    /** {@code timezone}, {@code utc}, {@code localtime}: the zone of formatted times. */
    static ZoneId zone(ConfElement conf, ZoneId defaultZone) {
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

    private static void write(ByteArrayOutputStream out, ByteBuffer bytes) {
        ByteBuffer b = bytes.duplicate();
        byte[] copy = new byte[b.remaining()];
        b.get(copy);
        out.write(copy, 0, copy.length);
    }

    private static Value unpack(ByteBuffer record) throws IOException {
        try (MessageUnpacker in = MessagePack.newDefaultUnpacker(MsgpackInputs.of(record))) {
            return in.unpackValue();
        }
    }

    private static String text(Value v) {
        if (v == null || v.isNilValue()) {
            return "";
        }
        if (v.isRawValue()) {
            return new String(v.asRawValue().asByteArray(), StandardCharsets.UTF_8);
        }
        return v.toJson();
    }
}
