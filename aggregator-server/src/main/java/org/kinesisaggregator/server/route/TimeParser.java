package org.kinesisaggregator.server.route;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.format.DateTimeParseException;
import java.time.format.ResolverStyle;
import java.time.format.SignStyle;
import java.time.temporal.ChronoField;
import java.time.temporal.TemporalAccessor;
import java.util.Locale;
import org.msgpack.value.Value;

/**
 * Reads an event time out of a parsed field, as Fluentd's parsers' {@code time_type} do:
 * {@code float} (a number or the text of one: seconds with a fraction), {@code unixtime} (whole
 * seconds), {@code string} (text in {@code time_format}, Ruby strptime directives, or without one
 * ISO 8601 / RFC 3339 as Ruby's {@code Time.parse} reads them most often). A zone-less text is in the
 * configured zone.
 *
 * <p>Immutable; thread-safe.
 */
public final class TimeParser {
    /** The strptime directives {@code time_format} may use. */
    public static final String SUPPORTED_DIRECTIVES =
            "%Y %y %m %d %e %j %H %I %p %M %S %L %N %z %:z %Z %b %B %a %A" + " %T %F %D %%, or %s alone";

    /** {@code time_type}. */
    public enum Type {
        FLOAT,
        UNIXTIME,
        STRING
    }

    /** A time: seconds since the epoch and nanoseconds. */
    public record Time(long epochSecond, int nanos) {}

    private final Type type;
    private final DateTimeFormatter format;
    private final boolean epochFormat;
    private final ZoneId zone;

    private TimeParser(Type type, DateTimeFormatter format, boolean epochFormat, ZoneId zone) {
        this.type = type;
        this.format = format;
        this.epochFormat = epochFormat;
        this.zone = zone;
    }

    /**
     * @param timeFormat strptime pattern for {@code string}, or null (ISO 8601)
     * @throws IllegalArgumentException naming a directive that is not supported
     */
    public static TimeParser of(Type type, String timeFormat, ZoneId zone) {
        if (timeFormat == null || type != Type.STRING) {
            return new TimeParser(type, null, false, zone);
        }
        if (timeFormat.equals("%s")) {
            return new TimeParser(type, null, true, zone);
        }
        return new TimeParser(type, strptime(timeFormat).withZone(zone), false, zone);
    }

    /** Reads {@code v}; throws {@link IllegalArgumentException} saying why it is no time. */
    public Time parse(Value v) {
        String text = v.isRawValue() ? new String(v.asRawValue().asByteArray(), StandardCharsets.UTF_8) : null;
        switch (type) {
            case FLOAT, UNIXTIME -> {
                BigDecimal seconds;
                if (v.isIntegerValue()) {
                    seconds = new BigDecimal(v.asIntegerValue().asBigInteger());
                } else if (v.isFloatValue()) {
                    seconds = BigDecimal.valueOf(v.asFloatValue().toDouble());
                } else if (text != null) {
                    try {
                        seconds = new BigDecimal(text.trim());
                    } catch (NumberFormatException e) {
                        throw new IllegalArgumentException(
                                "invalid time value: \"" + text + "\" (expected: a number of seconds for time_type "
                                        + type.name().toLowerCase(Locale.ROOT) + "; set time_format for text)");
                    }
                } else {
                    throw new IllegalArgumentException("invalid time value: " + v.toJson() + " (expected: a number)");
                }
                long s = seconds.longValue();
                int n = type == Type.UNIXTIME
                        ? 0
                        : seconds.subtract(BigDecimal.valueOf(s))
                                .movePointRight(9)
                                .intValue();
                if (n < 0) {
                    s -= 1;
                    n += 1_000_000_000;
                }
                return new Time(s, n);
            }
            default -> {
                if (text == null) {
                    throw new IllegalArgumentException(
                            "invalid time value: " + v.toJson() + " (expected: text for time_type string)");
                }
                return parseText(text);
            }
        }
    }

    private Time parseText(String text) {
        try {
            if (epochFormat) {
                return new Time(Long.parseLong(text.trim()), 0);
            }
            TemporalAccessor t;
            if (format != null) {
                t = format.parse(text);
            } else {
                t = DateTimeFormatter.ISO_DATE_TIME
                        .withZone(zone)
                        .parse(text.trim().replace(' ', 'T'));
            }
            Instant i = Instant.from(t);
            return new Time(i.getEpochSecond(), i.getNano());
        } catch (DateTimeException | NumberFormatException e) {
            throw new IllegalArgumentException("invalid time value: \"" + text + "\" ("
                    + (e instanceof DateTimeParseException p ? p.getMessage() : e.toString()) + ")");
        }
    }

    /** A formatter reading Ruby's strptime pattern {@code pattern}. */
    static DateTimeFormatter strptime(String pattern) {
        DateTimeFormatterBuilder b = new DateTimeFormatterBuilder().parseCaseInsensitive();
        for (int i = 0; i < pattern.length(); i++) {
            char c = pattern.charAt(i);
            if (c != '%') {
                b.appendLiteral(c);
                continue;
            }
            if (i + 1 >= pattern.length()) {
                throw new IllegalArgumentException("time_format \"" + pattern + "\" ends with %");
            }
            char d = pattern.charAt(++i);
            if (d == ':' && i + 1 < pattern.length() && pattern.charAt(i + 1) == 'z') {
                i++;
                b.appendOffset("+HH:MM", "Z");
                continue;
            }
            switch (d) {
                case 'Y' -> b.appendValue(ChronoField.YEAR, 4);
                case 'y' -> b.appendValueReduced(ChronoField.YEAR, 2, 2, 2000);
                case 'm' -> b.appendValue(ChronoField.MONTH_OF_YEAR, 1, 2, SignStyle.NOT_NEGATIVE);
                case 'd', 'e' ->
                    b.optionalStart()
                            .appendLiteral(' ')
                            .optionalEnd()
                            .appendValue(ChronoField.DAY_OF_MONTH, 1, 2, SignStyle.NOT_NEGATIVE);
                case 'j' -> b.appendValue(ChronoField.DAY_OF_YEAR, 3);
                case 'H' -> b.appendValue(ChronoField.HOUR_OF_DAY, 2);
                case 'I' -> b.appendValue(ChronoField.CLOCK_HOUR_OF_AMPM, 2);
                case 'p' -> b.appendText(ChronoField.AMPM_OF_DAY);
                case 'M' -> b.appendValue(ChronoField.MINUTE_OF_HOUR, 2);
                case 'S' -> b.appendValue(ChronoField.SECOND_OF_MINUTE, 2);
                case 'L' -> b.appendFraction(ChronoField.NANO_OF_SECOND, 3, 3, false);
                case 'N' -> b.appendFraction(ChronoField.NANO_OF_SECOND, 1, 9, false);
                case 'z' ->
                    b.optionalStart()
                            .appendOffset("+HH:MM", "Z")
                            .optionalEnd()
                            .optionalStart()
                            .appendOffset("+HHMM", "Z")
                            .optionalEnd();
                case 'Z' -> b.appendZoneOrOffsetId();
                case 'b' -> b.appendPattern("MMM");
                case 'B' -> b.appendPattern("MMMM");
                case 'a' -> b.appendPattern("EEE");
                case 'A' -> b.appendPattern("EEEE");
                case 'T' -> b.appendPattern("HH:mm:ss");
                case 'F' -> b.appendPattern("uuuu-MM-dd");
                case 'D' -> b.appendPattern("MM/dd/yy");
                case '%' -> b.appendLiteral('%');
                default ->
                    throw new IllegalArgumentException("time_format \"" + pattern + "\": %" + d
                            + " is not supported (expected: " + SUPPORTED_DIRECTIVES + ")");
            }
        }
        return b.toFormatter(Locale.ENGLISH).withResolverStyle(ResolverStyle.SMART);
    }
}
