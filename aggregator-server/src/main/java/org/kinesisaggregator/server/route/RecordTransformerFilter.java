package org.kinesisaggregator.server.route;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.msgpack.value.MapValue;
import org.msgpack.value.Value;
import org.msgpack.value.ValueFactory;

/**
 * {@code <filter> @type record_transformer}, the common subset of Fluentd's filter without Ruby:
 *
 * <ul>
 *   <li>{@code <record>}: {@code key value} pairs added to (or replacing in) the record. Values
 *       may hold placeholders {@code ${record["k"]}} (a top-level field), {@code ${tag}},
 *       {@code ${tag_parts[N]}}, {@code ${tag_prefix[N]}}, {@code ${tag_suffix[N]}} (N may be
 *       negative), {@code ${hostname}} and {@code ${time}} (Ruby's {@code Time#to_s},
 *       {@code 2026-11-25 12:00:00 +0000}, in the configured zone). A value starting with
 *       {@code {} or {@code [} is JSON whose strings (and keys) may hold placeholders.
 *   <li>{@code auto_typecast} (default true): a value that is exactly one placeholder keeps the
 *       type of what it names (a number stays a number); otherwise values are text, a missing
 *       field being "".
 *   <li>{@code remove_keys} (fields or {@code $.a.b} paths), {@code renew_record},
 *       {@code keep_keys} (with {@code renew_record true}).
 *   <li>Refused at start-up: {@code enable_ruby true}, {@code renew_time_key}, any other
 *       placeholder.
 * </ul>
 *
 * <p>Immutable; thread-safe.
 */
public final class RecordTransformerFilter implements EventFilter {
    private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{([^}]+)}");
    private static final Pattern INDEXED = Pattern.compile("(tag_parts|tag_prefix|tag_suffix)\\[(-?\\d+)]");
    private static final Pattern RECORD_FIELD = Pattern.compile("record\\[(?:\"([^\"]*)\"|'([^']*)')]");
    private static final DateTimeFormatter RUBY_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss xx");
    /** The placeholders supported, as conf errors list them. */
    public static final String SUPPORTED = "${record[\"key\"]}, ${tag}, ${tag_parts[N]}, ${tag_prefix[N]},"
            + " ${tag_suffix[N]}, ${hostname}, ${time}";

    private final Map<Template, Template> record;
    private final List<RecordKey> removeKeys;
    private final List<Value> keepKeys;
    private final boolean renewRecord;
    private final boolean autoTypecast;
    private final String hostname;
    private final ZoneId zone;

    private RecordTransformerFilter(
            Map<Template, Template> record,
            List<RecordKey> removeKeys,
            List<Value> keepKeys,
            boolean renewRecord,
            boolean autoTypecast,
            String hostname,
            ZoneId zone) {
        this.record = record;
        this.removeKeys = removeKeys;
        this.keepKeys = keepKeys;
        this.renewRecord = renewRecord;
        this.autoTypecast = autoTypecast;
        this.hostname = hostname;
        this.zone = zone;
    }

    /**
     * A filter adding (or replacing) {@code record}'s fields in order, then removing {@code removeKeys};
     * with {@code renewRecord}, starting from only the {@code keepKeys} fields of the event.
     */
    public static RecordTransformerFilter of(
            List<Field> record,
            List<RecordKey> removeKeys,
            List<String> keepKeys,
            boolean renewRecord,
            boolean autoTypecast,
            String hostname,
            ZoneId zone) {
        Map<Template, Template> map = new LinkedHashMap<>();
        for (Field f : record) {
            map.put(f.key, f.value);
        }
        List<Value> keepValues =
                keepKeys.stream().<Value>map(ValueFactory::newString).toList();
        return new RecordTransformerFilter(
                map, List.copyOf(removeKeys), keepValues, renewRecord, autoTypecast, hostname, zone);
    }

    /** One {@code key value} pair of {@code <record>}, its placeholders parsed. Immutable. */
    public static final class Field {
        private final Template key;
        private final Template value;

        private Field(Template key, Template value) {
            this.key = key;
            this.value = value;
        }

        /**
         * Parses the pair {@code name value}.
         *
         * @throws IllegalArgumentException naming {@code name} when either holds an unsupported placeholder
         */
        public static Field parse(String name, String value) {
            return new Field(Template.text(name, name), Template.parseValue(value, name));
        }
    }

    /** An unsupported placeholder; its message starts with the parameter's name. */
    private static final class UnsupportedPlaceholderException extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        UnsupportedPlaceholderException(String message) {
            super(message);
        }
    }

    @Override
    public String type() {
        return "record_transformer";
    }

    @Override
    public MapValue filter(String tag, long epochSecond, int nanos, MapValue in) {
        Context ctx = new Context(tag, epochSecond, nanos, in);
        Map<Value, Value> out = new LinkedHashMap<>();
        Map<Value, Value> original = in.map();
        if (renewRecord) {
            for (Value k : keepKeys) {
                Value v = original.get(k);
                if (v != null) {
                    out.put(k, v);
                }
            }
        } else {
            out.putAll(original);
        }
        for (Map.Entry<Template, Template> e : record.entrySet()) {
            Value key = ValueFactory.newString(Values.text(e.getKey().expand(ctx, false)));
            out.put(key, e.getValue().expand(ctx, autoTypecast));
        }
        MapValue result = ValueFactory.newMap(out);
        for (RecordKey k : removeKeys) {
            result = k.remove(result);
        }
        return result;
    }

    /** What placeholders of one event expand to. Confined to one filter call. */
    private final class Context {
        final String tag;
        final long epochSecond;
        final int nanos;
        final MapValue record;
        String[] parts;

        Context(String tag, long epochSecond, int nanos, MapValue record) {
            this.tag = tag;
            this.epochSecond = epochSecond;
            this.nanos = nanos;
            this.record = record;
        }

        Value resolve(Placeholder p) {
            return switch (p.kind) {
                case TAG -> ValueFactory.newString(tag);
                case HOSTNAME -> ValueFactory.newString(hostname);
                case TIME ->
                    ValueFactory.newString(RUBY_TIME.format(
                            Instant.ofEpochSecond(epochSecond, nanos).atZone(zone)));
                case RECORD -> record.map().get(p.field);
                case TAG_PARTS, TAG_PREFIX, TAG_SUFFIX -> indexed(p);
            };
        }

        private Value indexed(Placeholder p) {
            if (parts == null) {
                parts = tag.split("\\.", -1);
            }
            int i = p.index < 0 ? parts.length + p.index : p.index;
            if (i < 0 || i >= parts.length) {
                return null;
            }
            return ValueFactory.newString(
                    switch (p.kind) {
                        case TAG_PARTS -> parts[i];
                        case TAG_PREFIX -> String.join(".", Arrays.copyOfRange(parts, 0, i + 1));
                        default -> String.join(".", Arrays.copyOfRange(parts, i, parts.length));
                    });
        }
    }

    private enum Kind {
        TAG,
        HOSTNAME,
        TIME,
        RECORD,
        TAG_PARTS,
        TAG_PREFIX,
        TAG_SUFFIX
    }

    private record Placeholder(Kind kind, Value field, int index) {
        static Placeholder parse(String body, String paramName) {
            String b = body.trim();
            switch (b) {
                case "tag":
                    return new Placeholder(Kind.TAG, null, 0);
                case "hostname":
                    return new Placeholder(Kind.HOSTNAME, null, 0);
                case "time":
                    return new Placeholder(Kind.TIME, null, 0);
                default:
                    break;
            }
            Matcher m = INDEXED.matcher(b);
            if (m.matches()) {
                Kind kind = switch (m.group(1)) {
                    case "tag_parts" -> Kind.TAG_PARTS;
                    case "tag_prefix" -> Kind.TAG_PREFIX;
                    default -> Kind.TAG_SUFFIX;
                };
                return new Placeholder(kind, null, Integer.parseInt(m.group(2)));
            }
            m = RECORD_FIELD.matcher(b);
            if (m.matches()) {
                String field = m.group(1) != null ? m.group(1) : m.group(2);
                return new Placeholder(Kind.RECORD, ValueFactory.newString(field), 0);
            }
            throw new UnsupportedPlaceholderException(paramName + ": unsupported placeholder ${" + body
                    + "} (expected: one of " + SUPPORTED + "; Ruby expressions are not supported)");
        }
    }

    /** A value of {@code <record>}: text with placeholders, or a JSON structure of them. */
    private abstract static class Template {
        abstract Value expand(Context ctx, boolean typecast);

        static Template parseValue(String value, String paramName) {
            String v = value.trim();
            if (v.startsWith("{") || v.startsWith("[")) {
                try (JsonParser parser = new JsonFactory().createParser(v)) {
                    parser.nextToken();
                    Template t = json(parser, paramName);
                    if (parser.nextToken() == null) {
                        return t;
                    }
                } catch (IOException | RuntimeException e) {
                    if (e instanceof UnsupportedPlaceholderException u) {
                        throw u;
                    }
                    // Fluentd: "failed to parse ... as json. Assuming ... is a string"
                }
            }
            return text(value, paramName);
        }

        private static Template json(JsonParser parser, String paramName) throws IOException {
            JsonToken t = parser.currentToken();
            switch (t) {
                case START_OBJECT: {
                    Map<Template, Template> fields = new LinkedHashMap<>();
                    while (parser.nextToken() == JsonToken.FIELD_NAME) {
                        Template key = text(parser.currentName(), paramName);
                        parser.nextToken();
                        fields.put(key, json(parser, paramName));
                    }
                    return new Template() {
                        @Override
                        Value expand(Context ctx, boolean typecast) {
                            Map<Value, Value> out = new LinkedHashMap<>();
                            fields.forEach((k, v) -> out.put(
                                    ValueFactory.newString(Values.text(k.expand(ctx, false))),
                                    nullToNil(v.expand(ctx, typecast))));
                            return ValueFactory.newMap(out);
                        }
                    };
                }
                case START_ARRAY: {
                    List<Template> items = new ArrayList<>();
                    while (parser.nextToken() != JsonToken.END_ARRAY) {
                        items.add(json(parser, paramName));
                    }
                    return new Template() {
                        @Override
                        Value expand(Context ctx, boolean typecast) {
                            List<Value> out = new ArrayList<>();
                            items.forEach(i -> out.add(nullToNil(i.expand(ctx, typecast))));
                            return ValueFactory.newArray(out);
                        }
                    };
                }
                case VALUE_STRING:
                    return text(parser.getText(), paramName);
                case VALUE_NUMBER_INT:
                    return constant(ValueFactory.newInteger(parser.getLongValue()));
                case VALUE_NUMBER_FLOAT:
                    return constant(ValueFactory.newFloat(parser.getDoubleValue()));
                case VALUE_TRUE:
                    return constant(ValueFactory.newBoolean(true));
                case VALUE_FALSE:
                    return constant(ValueFactory.newBoolean(false));
                default:
                    return constant(ValueFactory.newNil());
            }
        }

        private static Template constant(Value v) {
            return new Template() {
                @Override
                Value expand(Context ctx, boolean typecast) {
                    return v;
                }
            };
        }

        static Template text(String text, String paramName) {
            List<Object> parts = new ArrayList<>();
            Matcher m = PLACEHOLDER.matcher(text);
            int last = 0;
            while (m.find()) {
                if (m.start() > last) {
                    parts.add(text.substring(last, m.start()));
                }
                parts.add(Placeholder.parse(m.group(1), paramName));
                last = m.end();
            }
            if (last < text.length()) {
                parts.add(text.substring(last));
            }
            if (parts.isEmpty()) {
                parts.add("");
            }
            List<Object> frozen = List.copyOf(parts);
            Value literal = frozen.size() == 1 && frozen.get(0) instanceof String s ? ValueFactory.newString(s) : null;
            return new Template() {
                @Override
                Value expand(Context ctx, boolean typecast) {
                    if (literal != null) {
                        return literal;
                    }
                    if (typecast && frozen.size() == 1) {
                        return nullToNil(ctx.resolve((Placeholder) frozen.get(0)));
                    }
                    StringBuilder sb = new StringBuilder();
                    for (Object part : frozen) {
                        sb.append(part instanceof String s ? s : Values.text(ctx.resolve((Placeholder) part)));
                    }
                    return ValueFactory.newString(sb.toString());
                }
            };
        }
    }

    private static Value nullToNil(Value v) {
        return v == null ? ValueFactory.newNil() : v;
    }
}
