package org.kinesisaggregator.server.output;

import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.TextStyle;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The strftime subset Fluentd confs use in {@code time_format} and time-sliced paths:
 * {@code %Y %y %m %d %e %H %M %S %L} (millis) {@code %N %3N %6N %9N} (fraction) {@code %z %:z %Z %j
 * %a %A %b %B %s %F %T %%}. Any other {@code %x} is an error at start-up.
 *
 * <p>Immutable; thread-safe.
 */
public final class Strftime {
    private static final DateTimeFormatter OFFSET = DateTimeFormatter.ofPattern("xx", Locale.ROOT);
    private static final DateTimeFormatter OFFSET_COLON = DateTimeFormatter.ofPattern("xxx", Locale.ROOT);

    private final String pattern;
    private final List<Object> parts;

    private Strftime(String pattern, List<Object> parts) {
        this.pattern = pattern;
        this.parts = parts;
    }

    /** Compiles {@code pattern}; throws {@link IllegalArgumentException} naming an unsupported directive. */
    public static Strftime compile(String pattern) {
        List<Object> parts = new ArrayList<>();
        StringBuilder literal = new StringBuilder();
        for (int i = 0; i < pattern.length(); i++) {
            char c = pattern.charAt(i);
            if (c != '%' || i + 1 >= pattern.length()) {
                literal.append(c);
                continue;
            }
            String directive;
            char next = pattern.charAt(i + 1);
            if (Character.isDigit(next) && i + 2 < pattern.length() && pattern.charAt(i + 2) == 'N') {
                directive = "%" + next + "N";
                i += 2;
            } else if (next == ':' && i + 2 < pattern.length() && pattern.charAt(i + 2) == 'z') {
                directive = "%:z";
                i += 2;
            } else {
                directive = "%" + next;
                i += 1;
            }
            if (directive.equals("%%")) {
                literal.append('%');
                continue;
            }
            if (!isSupported(directive)) {
                throw new IllegalArgumentException(
                        "time format " + pattern + ": " + directive
                                + " is not supported (expected: %Y %y %m %d %e %H %M %S %L %N %3N %6N %9N %z %:z %Z %j %a %A %b %B %s %F %T %%)");
            }
            if (literal.length() > 0) {
                parts.add(literal.toString());
                literal.setLength(0);
            }
            parts.add(new Directive(directive));
        }
        if (literal.length() > 0) {
            parts.add(literal.toString());
        }
        return new Strftime(pattern, List.copyOf(parts));
    }

    private static boolean isSupported(String d) {
        return switch (d) {
            case "%Y",
                    "%y",
                    "%m",
                    "%d",
                    "%e",
                    "%H",
                    "%M",
                    "%S",
                    "%L",
                    "%N",
                    "%3N",
                    "%6N",
                    "%9N",
                    "%z",
                    "%:z",
                    "%Z",
                    "%j",
                    "%a",
                    "%A",
                    "%b",
                    "%B",
                    "%s",
                    "%F",
                    "%T" -> true;
            default -> false;
        };
    }

    /** True when the pattern holds {@code directive} (e.g. "%d"). */
    public boolean contains(String directive) {
        return parts.stream().anyMatch(p -> p instanceof Directive d && d.text.equals(directive));
    }

    public String pattern() {
        return pattern;
    }

    public String format(long epochSecond, int nanos, ZoneId zone) {
        ZonedDateTime t = Instant.ofEpochSecond(epochSecond, nanos).atZone(zone);
        StringBuilder sb = new StringBuilder(32);
        for (Object part : parts) {
            if (part instanceof String s) {
                sb.append(s);
            } else {
                append(sb, ((Directive) part).text, t, epochSecond, nanos);
            }
        }
        return sb.toString();
    }

    private static void append(StringBuilder sb, String d, ZonedDateTime t, long epochSecond, int nanos) {
        switch (d) {
            case "%Y" -> sb.append(t.getYear());
            case "%y" -> pad(sb, t.getYear() % 100, 2);
            case "%m" -> pad(sb, t.getMonthValue(), 2);
            case "%d" -> pad(sb, t.getDayOfMonth(), 2);
            case "%e" -> {
                if (t.getDayOfMonth() < 10) {
                    sb.append(' ');
                }
                sb.append(t.getDayOfMonth());
            }
            case "%H" -> pad(sb, t.getHour(), 2);
            case "%M" -> pad(sb, t.getMinute(), 2);
            case "%S" -> pad(sb, t.getSecond(), 2);
            case "%L", "%3N" -> pad(sb, nanos / 1_000_000, 3);
            case "%6N" -> pad(sb, nanos / 1_000, 6);
            case "%N", "%9N" -> pad(sb, nanos, 9);
            case "%z" -> sb.append(OFFSET.format(t));
            case "%:z" -> sb.append(OFFSET_COLON.format(t));
            case "%Z" -> sb.append(t.getZone().getDisplayName(TextStyle.SHORT, Locale.ROOT));
            case "%j" -> pad(sb, t.getDayOfYear(), 3);
            case "%a" -> sb.append(t.getDayOfWeek().getDisplayName(TextStyle.SHORT, Locale.ROOT));
            case "%A" -> sb.append(t.getDayOfWeek().getDisplayName(TextStyle.FULL, Locale.ROOT));
            case "%b" -> sb.append(t.getMonth().getDisplayName(TextStyle.SHORT, Locale.ROOT));
            case "%B" -> sb.append(t.getMonth().getDisplayName(TextStyle.FULL, Locale.ROOT));
            case "%s" -> sb.append(epochSecond);
            case "%F" -> {
                sb.append(t.getYear()).append('-');
                pad(sb, t.getMonthValue(), 2);
                sb.append('-');
                pad(sb, t.getDayOfMonth(), 2);
            }
            case "%T" -> {
                pad(sb, t.getHour(), 2);
                sb.append(':');
                pad(sb, t.getMinute(), 2);
                sb.append(':');
                pad(sb, t.getSecond(), 2);
            }
            default -> throw new IllegalStateException(d);
        }
    }

    private static void pad(StringBuilder sb, int value, int width) {
        String s = Integer.toString(value);
        for (int i = s.length(); i < width; i++) {
            sb.append('0');
        }
        sb.append(s);
    }

    private record Directive(String text) {}

    @Override
    public String toString() {
        return pattern;
    }
}
