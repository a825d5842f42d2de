package org.kinesisaggregator.conf;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Typed values of conf parameters, as Fluentd's {@code config/types.rb} reads them but strict: a
 * value that does not fit its type is an error instead of a silent {@code 0} or {@code nil}.
 *
 * <ul>
 *   <li>time: a number with an optional unit {@code s}, {@code m}, {@code h}, {@code d}; a plain
 *       number is seconds and may have a fraction ({@code 0.5}, {@code 1.5s}).
 *   <li>size: an integer with an optional unit {@code k}, {@code m}, {@code g}, {@code t}
 *       (1024-based, either case, an optional trailing {@code b}: {@code 8m}, {@code 8MB}).
 *   <li>bool: {@code true}, {@code yes}, {@code false}, {@code no}; an empty value is true
 *       ({@code <store ignore_error>} style flags).
 *   <li>array: a JSON array, or comma-separated strings ({@code a, b,c}).
 *   <li>hash: a JSON object, or {@code k1:v1,k2:v2}.
 * </ul>
 *
 * <p>Each method throws {@link IllegalArgumentException} whose message is the part after the
 * parameter name: {@code "abc" is not a time (expected: a number with optional s/m/h/d)}. Stateless;
 * thread-safe.
 */
public final class ConfValues {
    private static final Pattern TIME = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*([smhd]?)");
    private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*([kmgtKMGT]?)[bB]?");
    private static final JsonFactory JSON = JsonFactory.builder().build();

    private ConfValues() {}

    public static Duration time(String value) {
        Matcher m = TIME.matcher(value.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException(
                    quote(value) + " is not a time (expected: a number with optional s/m/h/d)");
        }
        BigDecimal number = new BigDecimal(m.group(1));
        long unitSeconds = switch (m.group(2)) {
            case "m" -> 60;
            case "h" -> 3600;
            case "d" -> 86_400;
            default -> 1;
        };
        BigDecimal nanos = number.multiply(BigDecimal.valueOf(unitSeconds)).movePointRight(9);
        try {
            return Duration.ofNanos(nanos.longValueExact());
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException(
                    quote(value) + " is not a time (expected: at most nanosecond precision and < 292 years)");
        }
    }

    public static long size(String value) {
        Matcher m = SIZE.matcher(value.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException(
                    quote(value) + " is not a size (expected: an integer with optional k/m/g/t)");
        }
        int shift = switch (m.group(2).toLowerCase(Locale.ROOT)) {
            case "k" -> 10;
            case "m" -> 20;
            case "g" -> 30;
            case "t" -> 40;
            default -> 0;
        };
        try {
            long number = Long.parseLong(m.group(1));
            if (number > (Long.MAX_VALUE >> shift)) {
                throw new NumberFormatException();
            }
            return number << shift;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(quote(value) + " is not a size (expected: less than 8 exbibytes)");
        }
    }

    /** A time in conf syntax, the largest exact unit: {@code 60s} → {@code 1m}, {@code 0.5s}, {@code 72h}. */
    public static String formatTime(Duration d) {
        long nanos = d.toNanos();
        if (nanos != 0 && nanos % 86_400_000_000_000L == 0) {
            return nanos / 86_400_000_000_000L + "d";
        }
        if (nanos != 0 && nanos % 3_600_000_000_000L == 0) {
            return nanos / 3_600_000_000_000L + "h";
        }
        if (nanos != 0 && nanos % 60_000_000_000L == 0) {
            return nanos / 60_000_000_000L + "m";
        }
        return BigDecimal.valueOf(nanos, 9).stripTrailingZeros().toPlainString() + "s";
    }

    /** A size in conf syntax, the largest exact unit: {@code 8388608} → {@code 8m}, {@code 1000} → {@code 1000}. */
    public static String formatSize(long bytes) {
        String[] units = {"t", "g", "m", "k"};
        for (int i = 0; i < units.length; i++) {
            int shift = 40 - 10 * i;
            if (bytes != 0 && bytes % (1L << shift) == 0) {
                return (bytes >> shift) + units[i];
            }
        }
        return Long.toString(bytes);
    }

    public static boolean bool(String value) {
        return switch (value.trim()) {
            case "true", "yes", "" -> true;
            case "false", "no" -> false;
            default ->
                throw new IllegalArgumentException(
                        quote(value) + " is not a boolean (expected: true, false, yes or no)");
        };
    }

    public static long integer(String value) {
        try {
            return Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(
                    quote(value) + " is not an integer (expected: digits with an optional sign)");
        }
    }

    public static double decimal(String value) {
        try {
            double d = Double.parseDouble(value.trim());
            if (Double.isNaN(d) || Double.isInfinite(d)) {
                throw new NumberFormatException();
            }
            return d;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(quote(value) + " is not a number (expected: e.g. 0.95)");
        }
    }

    /** A JSON array of scalars, or comma-separated values with the spaces around commas removed. */
    public static List<String> array(String value) {
        String v = value.trim();
        if (v.startsWith("[")) {
            try (JsonParser p = JSON.createParser(v)) {
                if (p.nextToken() != JsonToken.START_ARRAY) {
                    throw new IllegalArgumentException(
                            quote(value) + " is not an array (expected: a JSON array or a,b,c)");
                }
                List<String> out = new ArrayList<>();
                for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken()) {
                    if (t == null || t.isStructStart()) {
                        throw new IllegalArgumentException(
                                quote(value) + " is not an array of scalars (expected: [\"a\", \"b\"])");
                    }
                    out.add(t == JsonToken.VALUE_NULL ? "" : p.getText());
                }
                if (p.nextToken() != null) {
                    throw new IllegalArgumentException(
                            quote(value) + " has text after the array (expected: one JSON array)");
                }
                return List.copyOf(out);
            } catch (IOException e) {
                throw new IllegalArgumentException(quote(value) + " is not an array (" + message(e) + ")");
            }
        }
        if (v.isEmpty()) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        for (String part : v.split("\\s*,\\s*", -1)) {
            out.add(part);
        }
        return List.copyOf(out);
    }

    /**
     * A JSON object (values kept as JSON text for nested values, plain text for scalars), or
     * {@code k1:v1,k2:v2}.
     */
    public static Map<String, String> hash(String value) {
        String v = value.trim();
        Map<String, String> out = new LinkedHashMap<>();
        if (v.startsWith("{")) {
            try (JsonParser p = JSON.createParser(v)) {
                if (p.nextToken() != JsonToken.START_OBJECT) {
                    throw new IllegalArgumentException(
                            quote(value) + " is not a hash (expected: a JSON object or k1:v1,k2:v2)");
                }
                for (JsonToken t = p.nextToken(); t == JsonToken.FIELD_NAME; t = p.nextToken()) {
                    String key = p.currentName();
                    JsonToken vt = p.nextToken();
                    if (vt.isStructStart()) {
                        long start = p.currentTokenLocation().getCharOffset();
                        p.skipChildren();
                        long end = p.currentLocation().getCharOffset();
                        out.put(key, v.substring((int) start, (int) end));
                    } else {
                        out.put(key, vt == JsonToken.VALUE_NULL ? "" : p.getText());
                    }
                }
                return out;
            } catch (IOException e) {
                throw new IllegalArgumentException(quote(value) + " is not a hash (" + message(e) + ")");
            }
        }
        if (v.isEmpty()) {
            return out;
        }
        for (String part : v.split("\\s*,\\s*")) {
            int colon = part.indexOf(':');
            if (colon < 0) {
                throw new IllegalArgumentException(
                        quote(value) + " is not a hash (expected: k1:v1,k2:v2; no ':' in " + quote(part) + ")");
            }
            out.put(part.substring(0, colon), part.substring(colon + 1));
        }
        return out;
    }

    private static String message(IOException e) {
        return e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage();
    }

    /** {@code "value"} with quotes and backslashes escaped, for messages. */
    public static String quote(String value) {
        return "\"" + value.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n") + "\"";
    }
}
