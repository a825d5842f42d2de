package org.kinesisaggregator.server.route;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * A {@code <match>} / {@code <filter>} pattern with Fluentd's semantics (its {@code match.rb} and
 * {@code test_match.rb} are the reference):
 *
 * <ul>
 *   <li>{@code *} matches one tag part (no dot): {@code a.*} matches {@code a.b}, not {@code a} or
 *       {@code a.b.c}; {@code a*} matches {@code ab}, not {@code a.b}.
 *   <li>{@code **} matches zero or more parts: {@code a.**} matches {@code a}, {@code a.b},
 *       {@code a.b.c}, not {@code ab}; {@code **.a} matches {@code a} and {@code b.a}.
 *   <li>{@code {x,y}} matches either alternative; alternatives are patterns themselves
 *       ({@code a.{b.**,c}}).
 *   <li>{@code /regex/} is a Java regular expression over the whole tag.
 *   <li>Several patterns separated by spaces match when any of them does.
 *   <li>A backslash makes the next character literal; any other character matches itself.
 * </ul>
 *
 * <p>Immutable; thread-safe.
 */
public final class TagPattern {
    private final String text;
    private final List<Pattern> alternatives;
    private final boolean matchesAll;

    private TagPattern(String text, List<Pattern> alternatives, boolean matchesAll) {
        this.text = text;
        this.alternatives = alternatives;
        this.matchesAll = matchesAll;
    }

    /**
     * Compiles a space-separated list of patterns. An empty list is Fluentd's default: {@code **}.
     *
     * @throws IllegalArgumentException with the reason, for a bad {@code /regex/}
     */
    public static TagPattern compile(String text) {
        Objects.requireNonNull(text, "text");
        String trimmed = text.trim();
        if (trimmed.isEmpty()) {
            trimmed = "**";
        }
        List<Pattern> compiled = new ArrayList<>();
        boolean all = false;
        for (String one : trimmed.split("\\s+")) {
            if (one.equals("**")) {
                all = true;
            }
            compiled.add(Pattern.compile(toRegex(one)));
        }
        return new TagPattern(trimmed, List.copyOf(compiled), all);
    }

    public boolean matches(String tag) {
        if (matchesAll) {
            return true;
        }
        for (Pattern p : alternatives) {
            if (p.matcher(tag).matches()) {
                return true;
            }
        }
        return false;
    }

    /** The pattern as written (whitespace normalized). */
    public String text() {
        return text;
    }

    @Override
    public String toString() {
        return text;
    }

    /** Translates one glob pattern into an anchored regular expression. */
    static String toRegex(String glob) {
        if (glob.startsWith("/")) {
            if (glob.length() < 2 || !glob.endsWith("/")) {
                throw new IllegalArgumentException(
                        "pattern " + glob + ": a regex pattern must end with / (expected: /regex/)");
            }
            String body = glob.substring(1, glob.length() - 1);
            try {
                Pattern.compile(body);
            } catch (PatternSyntaxException e) {
                throw new IllegalArgumentException("pattern " + glob + ": " + e.getDescription(), e);
            }
            return "(?:" + body + ")";
        }
        // Each open '{' keeps the alternatives finished so far; 'current' is the one being written.
        Deque<List<String>> groups = new ArrayDeque<>();
        Deque<StringBuilder> outer = new ArrayDeque<>();
        StringBuilder current = new StringBuilder();
        boolean pendingDot = false;
        int i = 0;
        while (i < glob.length()) {
            char c = glob.charAt(i);
            if (c == '*' && i + 1 < glob.length() && glob.charAt(i + 1) == '*') {
                if (pendingDot) {
                    // "x.**": the dot and what follows are optional, but "x" must end a part.
                    current.append("(?![^.])");
                    pendingDot = false;
                }
                if (i + 2 < glob.length() && glob.charAt(i + 2) == '.') {
                    current.append("(?:.*\\.|\\A)");
                    i += 3;
                } else {
                    current.append(".*");
                    i += 2;
                }
                continue;
            }
            if (pendingDot && c != ',' && c != '}') {
                current.append("\\.");
                pendingDot = false;
            }
            switch (c) {
                case '\\' -> {
                    if (i + 1 < glob.length()) {
                        current.append(Pattern.quote(String.valueOf(glob.charAt(i + 1))));
                        i++;
                    } else {
                        current.append("\\\\");
                    }
                }
                case '.' -> pendingDot = true;
                case '*' -> current.append("[^.]*");
                case '{' -> {
                    groups.push(new ArrayList<>());
                    outer.push(current);
                    current = new StringBuilder();
                }
                case ',' -> {
                    if (groups.isEmpty()) {
                        current.append(',');
                    } else {
                        pendingDot = flushDot(current, pendingDot);
                        groups.peek().add(current.toString());
                        current = new StringBuilder();
                    }
                }
                case '}' -> {
                    if (groups.isEmpty()) {
                        current.append("\\}");
                    } else {
                        pendingDot = flushDot(current, pendingDot);
                        List<String> alts = groups.pop();
                        alts.add(current.toString());
                        current = outer.pop()
                                .append("(?:")
                                .append(String.join("|", alts))
                                .append(')');
                    }
                }
                default -> {
                    if (Character.isLetterOrDigit(c) || c == '_') {
                        current.append(c);
                    } else {
                        current.append(Pattern.quote(String.valueOf(c)));
                    }
                }
            }
            i++;
        }
        pendingDot = flushDot(current, pendingDot);
        while (!groups.isEmpty()) {
            List<String> alts = groups.pop();
            alts.add(current.toString());
            current = outer.pop().append("(?:").append(String.join("|", alts)).append(')');
        }
        return current.toString();
    }

    private static boolean flushDot(StringBuilder sb, boolean pendingDot) {
        if (pendingDot) {
            sb.append("\\.");
        }
        return false;
    }
}
