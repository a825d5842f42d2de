package org.kinesisaggregator.kinesis.format;

import java.time.DayOfWeek;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.TextStyle;
import java.time.temporal.IsoFields;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * Formats event times with Ruby's {@code strftime} directives, as Fluentd's {@code time_format}
 * does (the one strftime of every output's {@code time_format}, {@code <inject>} and file paths), including Fluentd's favourites {@code %N} / {@code %3N} / {@code %6N} / {@code %9N}
 * (fraction digits, truncated), {@code %L} (milliseconds), {@code %z} / {@code %:z}, and the flags
 * {@code -} (no padding), {@code _} (space padding), {@code 0} and {@code ^} (upper case). A null
 * format gives ISO 8601 seconds ({@code Time#iso8601}: {@code 2016-07-17T09:34:06+09:00}, and a
 * {@code Z} suffix in UTC).
 *
 * <p>Unknown directives are refused by {@link #validate} (at settings time, naming the directive).
 * Not thread-safe: it caches the broken-down time of the last second seen.
 */
public final class StrftimeFormatter {
    private static final DateTimeFormatter ZONE_NAME = DateTimeFormatter.ofPattern("zzz", Locale.ROOT);

    private final List<Part> parts;
    private final ZoneId zone;
    private final boolean usesFraction;
    private long cachedSecond = Long.MIN_VALUE;
    private ZonedDateTime cachedTime;
    private String cachedText;

    private StrftimeFormatter(List<Part> parts, ZoneId zone) {
        this.parts = parts;
        this.zone = zone;
        this.usesFraction = parts.stream()
                .anyMatch(p -> p instanceof Directive d
                        && (d.conversion == 'N' || d.conversion == 'L' || d.conversion == 'Q'));
    }

    /**
     * A formatter for {@code pattern} (Ruby strftime; null = ISO 8601 seconds) in {@code zone}.
     *
     * @throws IllegalArgumentException on an unknown directive
     */
    public static StrftimeFormatter of(String pattern, ZoneId zone) {
        Objects.requireNonNull(zone, "zone");
        String effective = pattern != null ? pattern : isUtc(zone) ? "%Y-%m-%dT%H:%M:%SZ" : "%Y-%m-%dT%H:%M:%S%:z";
        return new StrftimeFormatter(compile(effective), zone);
    }

    /** Checks {@code pattern}; throws naming the first unknown directive. */
    public static void validate(String pattern) {
        compile(pattern);
    }

    /**
     * The conversion characters of {@code pattern}'s directives ({@code 'Y'} for {@code %Y}),
     * composites such as {@code %F} and {@code %T} expanded, in order.
     *
     * @throws IllegalArgumentException on an unknown directive
     */
    public static Set<Character> conversions(String pattern) {
        Set<Character> found = new LinkedHashSet<>();
        for (Part part : compile(pattern)) {
            if (part instanceof Directive d) {
                found.add(d.conversion);
            }
        }
        return found;
    }

    /** The text of the instant {@code epochSecond} + {@code nanos}. */
    public String format(long epochSecond, int nanos) {
        if (epochSecond != cachedSecond) {
            // computed before the cache moves: a second java.time cannot hold throws and caches nothing
            ZonedDateTime time = ZonedDateTime.ofInstant(Instant.ofEpochSecond(epochSecond), zone);
            cachedText = usesFraction ? null : render(time, epochSecond, 0);
            cachedTime = time;
            cachedSecond = epochSecond;
        }
        return usesFraction ? render(cachedTime, epochSecond, nanos) : cachedText;
    }

    private String render(ZonedDateTime time, long epochSecond, int nanos) {
        StringBuilder out = new StringBuilder(32);
        for (Part part : parts) {
            part.append(out, time, epochSecond, nanos);
        }
        return out.toString();
    }

    private static boolean isUtc(ZoneId zone) {
        return zone.equals(ZoneOffset.UTC)
                || zone.getId().equals("UTC")
                || zone.getId().equals("Etc/UTC")
                || zone.getId().equals("Z");
    }

    private interface Part {
        void append(StringBuilder out, ZonedDateTime time, long epochSecond, int nanos);
    }

    private record Literal(String text) implements Part {
        @Override
        public void append(StringBuilder out, ZonedDateTime time, long epochSecond, int nanos) {
            out.append(text);
        }
    }

    /** One {@code %[flags][width][:]X}. */
    private record Directive(char flag, int width, int colons, char conversion) implements Part {
        @Override
        public void append(StringBuilder out, ZonedDateTime t, long epochSecond, int nanos) {
            switch (conversion) {
                case 'Y' -> number(out, t.getYear(), 4);
                case 'C' -> number(out, Math.floorDiv(t.getYear(), 100), 2);
                case 'y' -> number(out, Math.floorMod(t.getYear(), 100), 2);
                case 'm' -> number(out, t.getMonthValue(), 2);
                case 'd' -> number(out, t.getDayOfMonth(), 2);
                case 'e' -> padded(out, t.getDayOfMonth(), 2, ' ');
                case 'j' -> number(out, t.getDayOfYear(), 3);
                case 'H' -> number(out, t.getHour(), 2);
                case 'k' -> padded(out, t.getHour(), 2, ' ');
                case 'I' -> number(out, hour12(t), 2);
                case 'l' -> padded(out, hour12(t), 2, ' ');
                case 'M' -> number(out, t.getMinute(), 2);
                case 'S' -> number(out, t.getSecond(), 2);
                case 'L' -> fraction(out, nanos, width > 0 ? width : 3);
                case 'N' -> fraction(out, nanos, width > 0 ? width : 9);
                case 'z' -> offset(out, t.getOffset().getTotalSeconds());
                case 'Z' -> text(out, ZONE_NAME.format(t));
                case 'A' -> text(out, t.getDayOfWeek().getDisplayName(TextStyle.FULL, Locale.ENGLISH));
                case 'a' -> text(out, t.getDayOfWeek().getDisplayName(TextStyle.SHORT, Locale.ENGLISH));
                case 'B' -> text(out, t.getMonth().getDisplayName(TextStyle.FULL, Locale.ENGLISH));
                case 'b', 'h' -> text(out, t.getMonth().getDisplayName(TextStyle.SHORT, Locale.ENGLISH));
                case 'p' ->
                    text(out, flag == '#' ? (t.getHour() < 12 ? "am" : "pm") : (t.getHour() < 12 ? "AM" : "PM"));
                case 'P' -> text(out, t.getHour() < 12 ? "am" : "pm");
                case 'u' -> number(out, t.getDayOfWeek().getValue(), 1);
                case 'w' -> number(out, t.getDayOfWeek().getValue() % 7, 1);
                case 'G' -> number(out, t.get(IsoFields.WEEK_BASED_YEAR), 4);
                case 'g' -> number(out, Math.floorMod(t.get(IsoFields.WEEK_BASED_YEAR), 100), 2);
                case 'V' -> number(out, t.get(IsoFields.WEEK_OF_WEEK_BASED_YEAR), 2);
                case 'U' -> number(out, weekOfYear(t, DayOfWeek.SUNDAY), 2);
                case 'W' -> number(out, weekOfYear(t, DayOfWeek.MONDAY), 2);
                case 's' -> out.append(epochSecond);
                case 'Q' -> out.append(Math.addExact(Math.multiplyExact(epochSecond, 1000L), nanos / 1_000_000));
                case 'n' -> out.append('\n');
                case 't' -> out.append('\t');
                case '%' -> out.append('%');
                default -> throw new IllegalStateException("directive %" + conversion + " was not expanded");
            }
        }

        private void number(StringBuilder out, long value, int defaultWidth) {
            char pad = flag == '_' ? ' ' : '0';
            if (flag == '-') {
                out.append(value);
                return;
            }
            padded(out, value, width > 0 ? width : defaultWidth, pad);
        }

        private void padded(StringBuilder out, long value, int minWidth, char pad) {
            if (flag == '-') {
                out.append(value);
                return;
            }
            char padChar = flag == '0' ? '0' : flag == '_' ? ' ' : pad;
            String digits = Long.toString(Math.abs(value));
            if (value < 0) {
                out.append('-');
                minWidth--;
            }
            for (int i = digits.length(); i < minWidth; i++) {
                out.append(padChar);
            }
            out.append(digits);
        }

        private void text(StringBuilder out, String value) {
            out.append(flag == '^' ? value.toUpperCase(Locale.ROOT) : value);
        }

        private void offset(StringBuilder out, int totalSeconds) {
            out.append(totalSeconds < 0 ? '-' : '+');
            int abs = Math.abs(totalSeconds);
            two(out, abs / 3600);
            if (colons >= 1) {
                out.append(':');
            }
            two(out, abs / 60 % 60);
            if (colons >= 2) {
                out.append(':');
                two(out, abs % 60);
            }
        }

        private static void fraction(StringBuilder out, int nanos, int digits) {
            String nine = Integer.toString(nanos + 1_000_000_000).substring(1);
            if (digits <= 9) {
                out.append(nine, 0, digits);
            } else {
                out.append(nine);
                for (int i = 9; i < digits; i++) {
                    out.append('0');
                }
            }
        }

        private static void two(StringBuilder out, int value) {
            if (value < 10) {
                out.append('0');
            }
            out.append(value);
        }

        private static int hour12(ZonedDateTime t) {
            int h = t.getHour() % 12;
            return h == 0 ? 12 : h;
        }

        private static int weekOfYear(ZonedDateTime t, DayOfWeek firstDay) {
            int dayOfYear = t.getDayOfYear() - 1;
            int weekday = (t.getDayOfWeek().getValue() - firstDay.getValue() + 7) % 7;
            return (dayOfYear + 7 - weekday) / 7;
        }
    }

    private static List<Part> compile(String pattern) {
        Objects.requireNonNull(pattern, "time_format");
        List<Part> parts = new ArrayList<>();
        StringBuilder literal = new StringBuilder();
        int i = 0;
        while (i < pattern.length()) {
            char c = pattern.charAt(i);
            if (c != '%') {
                literal.append(c);
                i++;
                continue;
            }
            int start = i++;
            char flag = 0;
            if (i < pattern.length() && "-_0^#".indexOf(pattern.charAt(i)) >= 0) {
                flag = pattern.charAt(i++);
            }
            int width = 0;
            while (i < pattern.length() && Character.isDigit(pattern.charAt(i))) {
                width = width * 10 + (pattern.charAt(i++) - '0');
            }
            int colons = 0;
            while (i < pattern.length() && pattern.charAt(i) == ':') {
                colons++;
                i++;
            }
            if (i >= pattern.length()) {
                throw new IllegalArgumentException("time_format: " + pattern + " ends inside a directive at position "
                        + start + " (expected: %X, see Ruby's strftime)");
            }
            char conversion = pattern.charAt(i++);
            String expansion = switch (conversion) {
                case 'c' -> "%a %b %e %H:%M:%S %Y";
                case 'D', 'x' -> "%m/%d/%y";
                case 'F' -> "%Y-%m-%d";
                case 'T', 'X' -> "%H:%M:%S";
                case 'R' -> "%H:%M";
                case 'r' -> "%I:%M:%S %p";
                case '+' -> "%a %b %e %H:%M:%S %Z %Y";
                default -> null;
            };
            if (expansion != null) {
                flushLiteral(parts, literal);
                parts.addAll(compile(expansion));
                continue;
            }
            if ("YCymdejHkIlMSLNzZAaBbhpPuwGgVUWsQnt%".indexOf(conversion) < 0 || (colons > 0 && conversion != 'z')) {
                throw new IllegalArgumentException(
                        "time_format: " + pattern + " has unknown directive " + pattern.substring(start, i)
                                + " at position " + start + " (expected: a Ruby strftime directive)");
            }
            flushLiteral(parts, literal);
            parts.add(new Directive(flag, width, colons, conversion));
        }
        flushLiteral(parts, literal);
        return List.copyOf(parts);
    }

    private static void flushLiteral(List<Part> parts, StringBuilder literal) {
        if (literal.length() > 0) {
            parts.add(new Literal(literal.toString()));
            literal.setLength(0);
        }
    }
}
