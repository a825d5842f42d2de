package org.kinesisaggregator.buffer;

import java.nio.charset.StandardCharsets;

/**
 * Makes a peer-supplied string (a tag, a client hostname, a username, a chunk id, a PROXY header
 * field, an error message quoting the input) safe to put in a log line: the result is one line of
 * printable characters, so a client cannot end our line, start a forged one ({@code "\n[ERROR] ..."})
 * or send terminal escape sequences to whoever tails the log.
 *
 * <p>Escapes: {@code \} as {@code \\} (so that an escape in the output always means one in the
 * input), CR, LF and TAB as {@code \r}, {@code \n}, {@code \t}, ESC as {@code \e}, the other C0
 * controls and DEL as {@code \xNN}, and every other character that is not printable (C1 controls,
 * Unicode line and paragraph separators, bidirectional and other format characters, unassigned and
 * private-use code points, lone surrogates) as {@code \}{@code uNNNN} (or {@code \}{@code u{NNNNN}}
 * beyond the BMP). Printable non-ASCII text (UTF-8 tags, hostnames) is kept as it is. The result
 * is capped at {@link #MAX_CHARS} characters of input, followed by {@code ...(N more chars)}.
 *
 * <p>Use it for the argument, not for the format: {@code log.warn("... (tag={})", LogSafe.escape(tag))}.
 * Stateless and thread-safe.
 */
public final class LogSafe {
    /** Most characters of one value that reach a log line. */
    public static final int MAX_CHARS = 256;

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private LogSafe() {}

    /** {@code value} escaped and capped; {@code "null"} for null. */
    public static String escape(String value) {
        return escape(value, MAX_CHARS);
    }

    /** {@code value} (UTF-8, invalid sequences as U+FFFD) escaped and capped; {@code "null"} for null. */
    public static String escape(byte[] value) {
        return value == null ? "null" : escape(new String(value, StandardCharsets.UTF_8));
    }

    /** {@code value} escaped, keeping at most {@code maxChars} characters of it. */
    public static String escape(String value, int maxChars) {
        if (value == null) {
            return "null";
        }
        int end = Math.min(value.length(), maxChars);
        if (end < value.length() && Character.isHighSurrogate(value.charAt(end - 1))) {
            end--;
        }
        if (end == value.length() && isClean(value)) {
            return value;
        }
        StringBuilder out = new StringBuilder(end + 16);
        int i = 0;
        while (i < end) {
            int cp = value.codePointAt(i);
            int width = Character.charCount(cp);
            if (width == 2 && i + 1 >= end) {
                break;
            }
            append(out, cp);
            i += width;
        }
        if (i < value.length()) {
            out.append("...(").append(value.length() - i).append(" more chars)");
        }
        return out.toString();
    }

    private static boolean isClean(String value) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c < 0x20 || c >= 0x7f || c == '\\') {
                return false;
            }
        }
        return true;
    }

    private static void append(StringBuilder out, int cp) {
        switch (cp) {
            case '\\' -> out.append("\\\\");
            case '\n' -> out.append("\\n");
            case '\r' -> out.append("\\r");
            case '\t' -> out.append("\\t");
            case 0x1b -> out.append("\\e");
            default -> {
                if (cp < 0x20 || cp == 0x7f) {
                    out.append("\\x").append(HEX[cp >> 4]).append(HEX[cp & 0xf]);
                } else if (cp < 0x7f || isPrintable(cp)) {
                    out.appendCodePoint(cp);
                } else if (cp <= 0xffff) {
                    out.append("\\u");
                    hex(out, cp, 4);
                } else {
                    out.append("\\u{");
                    hex(out, cp, 5);
                    out.append('}');
                }
            }
        }
    }

    private static boolean isPrintable(int cp) {
        return switch (Character.getType(cp)) {
            case Character.CONTROL,
                    Character.FORMAT,
                    Character.LINE_SEPARATOR,
                    Character.PARAGRAPH_SEPARATOR,
                    Character.SURROGATE,
                    Character.PRIVATE_USE,
                    Character.UNASSIGNED -> false;
            default -> true;
        };
    }

    private static void hex(StringBuilder out, int value, int minDigits) {
        String h = Integer.toHexString(value);
        for (int i = h.length(); i < minDigits; i++) {
            out.append('0');
        }
        out.append(h);
    }
}
