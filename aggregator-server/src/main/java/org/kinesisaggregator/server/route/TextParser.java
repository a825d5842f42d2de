package org.kinesisaggregator.server.route;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.msgpack.value.MapValue;
import org.msgpack.value.Value;
import org.msgpack.value.ValueFactory;

/**
 * A {@code <parse>} of the parser filter: text into a record and, from its {@code time_key} field,
 * a time (Fluentd's parser plugins {@code json}, {@code regexp}, {@code ltsv}, {@code none}).
 *
 * <p>{@code time_key} (default {@code time}; none for {@code none}) is removed from the record unless
 * {@code keep_time_key}; without the field the time is now when {@code estimate_current_event}
 * (default true), else none (the filter keeps the event's time). A field that is no time is a parse
 * failure, as in Fluentd.
 *
 * <p>Immutable; thread-safe.
 */
public final class TextParser {
    private static final JsonFactory JSON = new JsonFactory();

    /** A parse failure (Fluentd's {@code ParserError}): the event goes to {@code @ERROR}. */
    public static final class ParseException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public ParseException(String message) {
            super(message);
        }
    }

    /** A parsed text: the record and its time, or null for none. */
    public record Parsed(MapValue record, TimeParser.Time time) {}

    /** How the text becomes fields; returns null when it does not match (regexp). */
    @FunctionalInterface
    interface Fields {
        Map<Value, Value> read(String text);
    }

    /** {@code time_key} handling. */
    public record TimeSettings(String timeKey, boolean keepTimeKey, boolean estimateCurrentEvent, TimeParser parser) {}

    private final String type;
    private final Fields fields;
    private final TimeSettings time;
    private final Clock clock;

    private TextParser(String type, Fields fields, TimeSettings time, Clock clock) {
        this.type = type;
        this.fields = fields;
        this.time = Objects.requireNonNull(time, "time");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    public String type() {
        return type;
    }

    /** {@code @type json}: one JSON object (an array: its first object, as the filter takes the first). */
    public static TextParser json(TimeSettings time, Clock clock) {
        return new TextParser("json", TextParser::readJson, time, clock);
    }

    /**
     * {@code @type regexp}: named groups are the fields (Ruby's {@code (?<name>…)}, names with
     * {@code _} too); a text the expression does not find is "pattern not matched".
     */
    public static TextParser regexp(
            String expression, boolean ignoreCase, boolean multiline, TimeSettings time, Clock clock) {
        List<String> names = new ArrayList<>();
        Matcher m = Pattern.compile("(?<!\\\\)\\(\\?<([A-Za-z_][A-Za-z0-9_]*)>").matcher(expression);
        StringBuilder java = new StringBuilder();
        while (m.find()) {
            names.add(m.group(1));
            m.appendReplacement(java, Matcher.quoteReplacement("(?<g" + names.size() + ">"));
        }
        m.appendTail(java);
        if (names.isEmpty()) {
            throw new IllegalArgumentException("expression has no named group (expected: (?<field>...) groups)");
        }
        int flags = (ignoreCase ? Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE : 0)
                | (multiline ? Pattern.DOTALL | Pattern.MULTILINE : 0);
        Pattern pattern = Pattern.compile(java.toString(), flags);
        return new TextParser(
                "regexp",
                text -> {
                    Matcher found = pattern.matcher(text);
                    if (!found.find()) {
                        return null;
                    }
                    Map<Value, Value> record = new LinkedHashMap<>();
                    for (int i = 0; i < names.size(); i++) {
                        String v = found.group("g" + (i + 1));
                        if (v != null) {
                            record.put(ValueFactory.newString(names.get(i)), ValueFactory.newString(v));
                        }
                    }
                    return record;
                },
                time,
                clock);
    }

    /** {@code @type none}: the whole text in {@code message_key}. */
    public static TextParser none(String messageKey, TimeSettings time, Clock clock) {
        Value key = ValueFactory.newString(messageKey);
        return new TextParser(
                "none",
                text -> {
                    Map<Value, Value> record = new LinkedHashMap<>();
                    record.put(key, ValueFactory.newString(text));
                    return record;
                },
                time,
                clock);
    }

    /** {@code @type ltsv}: {@code label:value} pairs separated by {@code delimiter}. */
    public static TextParser ltsv(String delimiter, String labelDelimiter, TimeSettings time, Clock clock) {
        return new TextParser(
                "ltsv",
                text -> {
                    Map<Value, Value> record = new LinkedHashMap<>();
                    for (String pair : text.split(Pattern.quote(delimiter), -1)) {
                        int at = pair.indexOf(labelDelimiter);
                        if (at < 0) {
                            continue; // Fluentd skips a pair without the label delimiter
                        }
                        record.put(
                                ValueFactory.newString(pair.substring(0, at)),
                                ValueFactory.newString(pair.substring(at + labelDelimiter.length())));
                    }
                    return record;
                },
                time,
                clock);
    }

    /**
     * Parses {@code text}.
     *
     * @return null when the text does not match (regexp)
     * @throws ParseException when it is not of the format, or its time field is no time
     */
    public Parsed parse(String text) {
        Map<Value, Value> record = fields.read(text);
        if (record == null) {
            return null;
        }
        TimeParser.Time t = null;
        if (time.timeKey() != null) {
            Value key = ValueFactory.newString(time.timeKey());
            Value v = time.keepTimeKey() ? record.get(key) : record.remove(key);
            if (v != null && !v.isNilValue()) {
                try {
                    t = time.parser().parse(v);
                } catch (IllegalArgumentException e) {
                    throw new ParseException(e.getMessage());
                }
            }
        }
        if (t == null && time.estimateCurrentEvent()) {
            Instant now = clock.instant();
            t = new TimeParser.Time(now.getEpochSecond(), now.getNano());
        }
        return new Parsed(ValueFactory.newMap(record), t);
    }

    /**
     * One JSON document as a msgpack value (objects keep their key order; integers stay integers).
     *
     * @throws IllegalArgumentException when {@code text} is not JSON
     */
    public static Value readJsonValue(String text) {
        try (JsonParser p = JSON.createParser(text)) {
            if (p.nextToken() == null) {
                throw new IllegalArgumentException("empty (expected: JSON)");
            }
            Value v = readValue(p);
            if (p.nextToken() != null) {
                throw new IllegalArgumentException("text after the JSON value");
            }
            return v;
        } catch (IOException e) {
            throw new IllegalArgumentException(
                    e.getMessage().lines().findFirst().orElse("not JSON"), e);
        }
    }

    private static Map<Value, Value> readJson(String text) {
        try (JsonParser p = JSON.createParser(text)) {
            JsonToken first = p.nextToken();
            if (first == JsonToken.START_ARRAY) {
                first = p.nextToken();
            }
            if (first != JsonToken.START_OBJECT) {
                throw new ParseException(
                        "pattern not matched with data '" + abbreviate(text) + "' (expected: a JSON object)");
            }
            Map<Value, Value> record = new LinkedHashMap<>();
            readObject(p, record);
            return record;
        } catch (IOException e) {
            throw new ParseException("pattern not matched with data '" + abbreviate(text) + "': "
                    + e.getMessage().lines().findFirst().orElse(""));
        }
    }

    private static void readObject(JsonParser p, Map<Value, Value> into) throws IOException {
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            Value key = ValueFactory.newString(p.currentName());
            p.nextToken();
            into.put(key, readValue(p));
        }
    }

    private static Value readValue(JsonParser p) throws IOException {
        return switch (p.currentToken()) {
            case START_OBJECT -> {
                Map<Value, Value> m = new LinkedHashMap<>();
                readObject(p, m);
                yield ValueFactory.newMap(m);
            }
            case START_ARRAY -> {
                List<Value> list = new ArrayList<>();
                while (p.nextToken() != JsonToken.END_ARRAY) {
                    list.add(readValue(p));
                }
                yield ValueFactory.newArray(list);
            }
            case VALUE_STRING -> ValueFactory.newString(p.getText());
            case VALUE_NUMBER_INT -> ValueFactory.newInteger(p.getBigIntegerValue());
            case VALUE_NUMBER_FLOAT -> ValueFactory.newFloat(p.getDoubleValue());
            case VALUE_TRUE -> ValueFactory.newBoolean(true);
            case VALUE_FALSE -> ValueFactory.newBoolean(false);
            case VALUE_NULL -> ValueFactory.newNil();
            default -> throw new IOException("unexpected JSON token " + p.currentToken());
        };
    }

    private static String abbreviate(String text) {
        return text.length() <= 200 ? text : text.substring(0, 200) + "…";
    }
}
