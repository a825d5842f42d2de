package org.kinesisaggregator.server.route;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.msgpack.value.MapValue;
import org.msgpack.value.Value;
import org.msgpack.value.ValueFactory;

/**
 * {@code <filter> @type parser}: parses the text of the field {@code key_name} with a
 * {@link TextParser} and passes on the parsed record (Fluentd's filter_parser).
 *
 * <ul>
 *   <li>The event's time becomes the parsed time ({@code time_key}, or now, see {@link TextParser})
 *       unless {@code reserve_time}; with no parsed time it stays.
 *   <li>{@code reserve_data}: the original fields are kept and the parsed ones merged over them;
 *       {@code remove_key_name_field} then drops {@code key_name} (after a successful parse).
 *   <li>{@code inject_key_prefix} prefixes every parsed field; {@code hash_value_field} puts the
 *       parsed fields under one field instead of at the top.
 *   <li>A missing {@code key_name}, a text that does not match, or a parse failure: with
 *       {@code emit_invalid_record_to_error} (default true) the event goes to {@code @ERROR} (or,
 *       without that label, is dropped with a counted, rate-limited warning); the event itself is
 *       dropped, except that with {@code reserve_data} a missing field or a text that does not match
 *       passes the record on unchanged. A non-text value of {@code key_name} is parsed as its JSON.
 * </ul>
 *
 * <p>Immutable; thread-safe.
 */
public final class ParserFilter implements EventFilter {

    /** The filter's parameters besides the parser. */
    public record Settings(
            String keyName,
            boolean reserveData,
            boolean reserveTime,
            boolean removeKeyNameField,
            String injectKeyPrefix,
            String hashValueField,
            boolean emitInvalidRecordToError) {
        public Settings {
            Objects.requireNonNull(keyName, "keyName");
        }
    }

    private final Settings settings;
    private final TextParser parser;
    private final Value key;

    public ParserFilter(Settings settings, TextParser parser) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.parser = Objects.requireNonNull(parser, "parser");
        this.key = ValueFactory.newString(settings.keyName());
    }

    @Override
    public String type() {
        return "parser";
    }

    @Override
    public MapValue filter(String tag, long epochSecond, int nanos, MapValue record) {
        return filterEvent(tag, epochSecond, nanos, record).record();
    }

    @Override
    public Filtered filterEvent(String tag, long epochSecond, int nanos, MapValue record) {
        Value raw = record.map().get(key);
        if (raw == null || raw.isNilValue()) {
            return invalid(record, epochSecond, nanos, settings.reserveData(), settings.keyName() + " does not exist");
        }
        String text = Values.text(raw);
        TextParser.Parsed parsed;
        try {
            parsed = parser.parse(text);
        } catch (TextParser.ParseException e) {
            return invalid(record, epochSecond, nanos, false, e.getMessage());
        }
        if (parsed == null) {
            return invalid(
                    record,
                    epochSecond,
                    nanos,
                    settings.reserveData(),
                    "pattern not matched with data '" + (text.length() > 200 ? text.substring(0, 200) + "…" : text)
                            + "'");
        }
        long second = epochSecond;
        int n = nanos;
        if (!settings.reserveTime() && parsed.time() != null) {
            second = parsed.time().epochSecond();
            n = parsed.time().nanos();
        }
        return new Filtered(merge(record, parsed.record()), second, n, null);
    }

    private Filtered invalid(MapValue record, long second, int nanos, boolean keep, String reason) {
        RuntimeException error = settings.emitInvalidRecordToError() ? new TextParser.ParseException(reason) : null;
        return new Filtered(keep ? record : null, second, nanos, error);
    }

    private MapValue merge(MapValue original, MapValue parsed) {
        Map<Value, Value> values = new LinkedHashMap<>();
        for (Map.Entry<Value, Value> e : parsed.map().entrySet()) {
            Value k = settings.injectKeyPrefix() == null
                    ? e.getKey()
                    : ValueFactory.newString(settings.injectKeyPrefix() + Values.text(e.getKey()));
            values.put(k, e.getValue());
        }
        Map<Value, Value> out = new LinkedHashMap<>();
        if (settings.reserveData()) {
            out.putAll(original.map());
            if (settings.removeKeyNameField()) {
                out.remove(key);
            }
        }
        if (settings.hashValueField() != null) {
            out.put(ValueFactory.newString(settings.hashValueField()), ValueFactory.newMap(values));
        } else {
            out.putAll(values);
        }
        return ValueFactory.newMap(out);
    }
}
